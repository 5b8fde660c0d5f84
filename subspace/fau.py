"""The FAU figure: Integrated-Gradients attribution of each facial action unit, shown by muscle.

Action units follow FACS (Ekman & Friesen); the muscle names are those of the FACS manual for the
20 AUs py-feat outputs (the MuSe-Mimic FAU feature).
"""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .errors import InputError  # noqa: E402
from .plot import save_figure  # noqa: E402

# AU -> (action, muscle(s))
FACS = {
    "AU01": ("inner brow raiser", "frontalis, pars medialis"),
    "AU02": ("outer brow raiser", "frontalis, pars lateralis"),
    "AU04": ("brow lowerer", "corrugator supercilii, depressor supercilii, procerus"),
    "AU05": ("upper lid raiser", "levator palpebrae superioris"),
    "AU06": ("cheek raiser", "orbicularis oculi, pars orbitalis"),
    "AU07": ("lid tightener", "orbicularis oculi, pars palpebralis"),
    "AU09": ("nose wrinkler", "levator labii superioris alaeque nasi"),
    "AU10": ("upper lip raiser", "levator labii superioris"),
    "AU11": ("nasolabial deepener", "zygomaticus minor"),
    "AU12": ("lip corner puller", "zygomaticus major"),
    "AU14": ("dimpler", "buccinator"),
    "AU15": ("lip corner depressor", "depressor anguli oris (triangularis)"),
    "AU17": ("chin raiser", "mentalis"),
    "AU20": ("lip stretcher", "risorius, platysma"),
    "AU23": ("lip tightener", "orbicularis oris"),
    "AU24": ("lip pressor", "orbicularis oris"),
    "AU25": ("lips part", "depressor labii inferioris (mentalis relaxed)"),
    "AU26": ("jaw drop", "masseter, temporalis relaxed"),
    "AU28": ("lip suck", "orbicularis oris"),
    "AU43": ("eyes closed", "levator palpebrae sup. relaxed"),
}

_AU = re.compile(r"^(?:.*[^0-9A-Za-z])?AU(\d{1,2})(?:_[rc])?$", re.IGNORECASE)


def au_code(name: str) -> str | None:
    """'AU05', 'AU5_r', 'faus_AU05' -> 'AU05'; None when the name is no action unit."""
    m = _AU.match(str(name).strip())
    return f"AU{int(m.group(1)):02d}" if m else None


def is_fau(dim_names: list[str]) -> bool:
    codes = [au_code(n) for n in dim_names]
    return bool(codes) and all(c in FACS for c in codes)


def au_label(code: str) -> str:
    action, muscle = FACS[code]
    return f"{code} {action} ({muscle})"


def fau_table(stats: dict, targets: list[str], source="attributions") -> tuple[list[str], np.ndarray, list[str]]:
    """AU codes, attributions (per AU: one column per target, plus their average when there are
    several targets) and column names."""
    codes = [au_code(n) for n in stats["dim_names"]]
    unknown = [n for n, c in zip(stats["dim_names"], codes) if c not in FACS]
    if unknown:
        raise InputError(source, f"dimensions {unknown[:5]} are not FACS action units; the FAU figure needs "
                         f"dim_names like AU01 … AU43")
    per_target = np.atleast_2d(stats["mean_per_target"])
    if per_target.shape[0] != len(targets):
        raise InputError(source, f"has {per_target.shape[0]} outputs but the task has {len(targets)} targets")
    if len(targets) == 1:  # the average would repeat the only target
        return codes, per_target.T, list(targets)
    values = np.concatenate([per_target, stats["mean"][None, :]], 0).T  # (AUs, targets + 1)
    return codes, values, list(targets) + ["average"]


def fau_figure(stats: dict, targets: list[str], title: str, paths, source="attributions",
               overall: str = "average over targets") -> dict:
    """One horizontal bar panel per target (a multiclass decoder: per class) plus the attribution the
    selection ranks by (``overall``: the average over targets); AUs sorted by attribution in each panel.

    Returns the ranking per panel (AU codes, most relevant first).
    """
    codes, values, columns = fau_table(stats, targets, source)
    n_cols = 2 if len(columns) > 2 else len(columns)
    n_rows = -(-len(columns) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(6.5 * n_cols, (0.3 * len(codes) + 1.2) * n_rows),
                             squeeze=False)
    for ax in axes.ravel()[len(columns):]:
        ax.set_visible(False)
    ranking = {}
    for j, (ax, col) in enumerate(zip(axes.ravel(), columns)):
        order = np.argsort(-values[:, j], kind="stable")
        ranking[col] = [codes[i] for i in order]
        y = np.arange(len(order))
        color = "tab:green" if col == "average" else "tab:blue"
        ax.barh(y, values[order, j], color=color)
        ax.set_yticks(y, [au_label(codes[i]) for i in order], fontsize=7)
        ax.invert_yaxis()
        ax.set_title(col.rstrip("_") if col != "average" else overall)
        ax.set_xlabel("mean |IG attribution|" if stats.get("attrs", {}).get("aggregate", "abs") == "abs"
                      else "mean IG attribution")
        ax.axvline(values[:, j].mean(), color="k", ls="--", lw=0.8, label="mean threshold")
        ax.legend(fontsize=6, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, paths)
    return ranking
