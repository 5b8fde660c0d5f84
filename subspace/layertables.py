"""The layer table of a feature family (a raw-media feature with `layers`, docs/evaluation.md#layers): per layer the
full decoder's score, the sub-space size and the reduced decoders' scores, test scores with cluster-bootstrap 95%
intervals (:mod:`subspace.bootstrap`, the same unit draws for every layer and seed), each layer's test score minus
the family's own layer's (paired), the best layer on devel, and one figure (score vs layer, full and reduced).

Only numpy/pandas/matplotlib: this runs in the plot environment.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .atomic import read_json
from .bootstrap import (BOOTSTRAP_SEED, N_RESAMPLES, bootstrap_indices, paired_difference, read_predictions,
                        resampled_scores, resampling_units)
from .errors import InputError
from .evaltables import delta_ci, interval_note
from .targets import prediction_arrays


def layer_label(layer, n_layers: int | None) -> tuple[str, float]:
    """A layer as the table names it and its place on the figure's axis: an index into ``hidden_states`` (a
    negative one counted from the model's ``n_layers`` transformer layers), or ``mean`` (after the last)."""
    if layer == "mean":
        return "mean", (n_layers or 0) + 1.5
    if layer == "concat":  # `concat_layers`: every layer of the family side by side
        return "all (concat)", (n_layers or 0) + 2.5
    k = int(layer)
    if k < 0 and n_layers:
        k = n_layers + 1 + k
    if k < 0:
        return str(layer), float(k)
    return (f"{k} (last)" if n_layers and k == n_layers else str(k)), float(k)


def score_interval(metric: str, paths: list[str], n_resamples: int = N_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                   unit: str = "group") -> dict:
    """The test score (devel where test has no labels) of one decoder, averaged over its seeds' predictions.csv,
    with a percentile 95% interval from the cluster bootstrap: each resample draws whole ``unit``s, the same
    draws for every seed (and, with the same ``seed``, for every other decoder of the table)."""
    frames, partition = [], None
    for path in paths:
        df, partition = read_predictions(path, partition)
        if frames and not df.sample_id.equals(frames[0].sample_id):
            raise InputError(path, f"predicts other {partition} samples than {paths[0]}")
        frames.append(df)
    used = "sample" if any("group" not in df.columns for df in frames) else unit
    units = resampling_units(frames[0], used, paths[0])
    idx = bootstrap_indices(int(units.max()) + 1, n_resamples, seed)
    point, boot = [], []
    for df in frames:
        y, p = prediction_arrays(df)
        point.append(resampled_scores(metric, y, p, np.arange(len(df))[None, :])[0])
        boot.append(resampled_scores(metric, y, p, idx, units))
    boot = np.mean(boot, axis=0)
    low, high = np.nanpercentile(boot, [2.5, 97.5]) if units.max() > 0 else (np.nan, np.nan)
    return {"test": float(np.mean(point)), "test_low": float(low), "test_high": float(high),
            "ci_partition": partition, "ci_samples": len(units), "ci_unit": used, "ci_requested_unit": unit,
            "ci_units": int(units.max()) + 1, "ci_undefined": int(np.isnan(boot).sum()), "ci_resamples": n_resamples}


def kept_per_layer(selection: str | None, blocks: list[str] | None) -> str:
    """A concatenation's selection counted per layer ('2 (last): 4, 0: 3'); '' for a single layer or `full`."""
    if not selection or not blocks:
        return ""
    sel = read_json(selection)
    counts = np.bincount(np.asarray(sel["kept"], int) // (sel["n_total"] // len(blocks)), minlength=len(blocks))
    return ", ".join(f"{label}: {int(n)}" for label, n in zip(blocks, counts))


def layer_table(members: list[dict], metric: str, n_resamples: int = N_RESAMPLES, unit: str = "group") -> pd.DataFrame:
    """One row per (layer, variant). ``members``: the family's features, its own layer first, each a dict with
    ``feature``, ``layer`` (label), ``position`` and ``variants``: variant (`full` or a threshold) -> ``metrics``
    and ``predictions`` (one per seed, same seed order) and ``selection`` (None for `full`). ``best`` marks, per
    variant, the layer whose decoders score highest on devel (mean over seeds); ``minus_own`` is its test score
    minus the family's own layer's with the same variant (paired over seeds and unit draws)."""
    rows = []
    own = members[0]
    for m in members:
        for variant, files in m["variants"].items():
            devel = np.array([read_json(p)["scores"]["devel"] for p in files["metrics"]])
            n_dims = read_json(files["metrics"][0])["n_dims"]
            total = read_json(files["selection"])["n_total"] if files.get("selection") else n_dims
            row = {"layer": m["layer"], "position": m["position"], "feature": m["feature"], "variant": variant,
                   "kept_dims": n_dims, "total_dims": total, "n_seeds": len(devel), "devel_mean": devel.mean(),
                   "devel_std": devel.std(), "kept_per_layer": kept_per_layer(files.get("selection"), m.get("blocks")),
                   **score_interval(metric, files["predictions"], n_resamples, unit=unit)}
            if m is own:
                row.update(minus_own=np.nan, minus_own_low=np.nan, minus_own_high=np.nan)
            else:
                ci = paired_difference(metric, list(zip(files["predictions"], own["variants"][variant]["predictions"])),
                                       n_resamples, unit=unit)
                row.update(minus_own=ci["delta"], minus_own_low=ci["low"], minus_own_high=ci["high"])
            rows.append(row)
    df = pd.DataFrame(rows)
    df["best"] = False
    for _, group in df.groupby("variant", sort=False):
        df.loc[group.devel_mean.idxmax(), "best"] = True
    return df


def _interval(score: float, low: float, high: float) -> str:
    return f"{score:.4f}" + ("" if np.isnan(low) else f" [{low:.4f}, {high:.4f}]")


def layer_markdown(df: pd.DataFrame, title: str, metric: str) -> str:
    """Layers as rows, variants side by side: devel (mean ± std over seeds), test with its 95% interval, kept
    dimensions; ▲ marks each variant's best layer on devel; below, the best layers and their difference to the
    family's own layer."""
    variants = list(dict.fromkeys(df.variant))
    n_seeds = int(df.n_seeds.max())
    part = df.ci_partition.iloc[0]
    header = "| layer | feature | " + " | ".join(
        f"{v}: kept | {v}: devel | {v}: {part} [95%]" if v != "full" else f"full: devel | full: {part} [95%]"
        for v in variants) + " |"
    note = interval_note(df).replace("paired bootstrap", "bootstrap")
    lines = [f"# {title}", "",
             "Each layer of the encoder as its own feature: the full decoder and the reduced ones "
             f"({', '.join(variants[1:])} thresholds). Devel: mean ± std over {n_seeds} seeds; {part}: mean over "
             f"the seeds with a {note}. ▲ best layer on devel.", "",
             header, "|---|---|" + "---|" * (3 * len(variants) - 1)]
    rows = df.sort_values("position", kind="stable")
    for (layer, feature), group in rows.groupby(["layer", "feature"], sort=False):
        cells = []
        for v in variants:
            r = group[group.variant == v].iloc[0]
            devel = (f"{r.devel_mean:.4f}" + (f" ± {r.devel_std:.4f}" if n_seeds > 1 else "")
                     + (" ▲" if r.best else ""))
            score = _interval(r.test, r.test_low, r.test_high)
            cells.append(f"{devel} | {score}" if v == "full" else f"{r.kept_dims}/{r.total_dims} | {devel} | {score}")
        lines.append(f"| {layer} | {feature} | " + " | ".join(cells) + " |")
    own = df.layer.iloc[0]
    split = df[df.kept_per_layer != ""]
    if len(split):
        lines += ["", "Dimensions the concatenation kept, per layer: " + "; ".join(
            f"{r.variant}: {r.kept_per_layer}" for r in split.itertuples()) + "."]
    lines += ["", f"Best layer on devel, and its {part} {metric} minus the feature's own layer ({own}; same seeds "
                  f"and draws; * marks an interval without 0):", ""]
    for r in df[df.best].itertuples():
        diff = "it is the own layer" if r.layer == own else delta_ci(r.minus_own, r.minus_own_low, r.minus_own_high)
        lines.append(f"- {r.variant}: layer {r.layer} ({r.feature}): {diff}")
    return "\n".join(lines) + "\n"


def layer_figure(df: pd.DataFrame, title: str, metric: str, paths) -> None:
    """Test score vs layer with 95% intervals, the full decoder and each reduced variant; rings mark the layer each
    variant scores best with on devel."""
    from .plot import save_figure  # first: it selects the Agg backend

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    variants = list(dict.fromkeys(df.variant))
    offsets = np.linspace(-0.08, 0.08, len(variants)) if len(variants) > 1 else [0.0]
    for offset, variant in zip(offsets, variants):
        g = df[df.variant == variant].sort_values("position")
        low = (g.test - g.test_low).clip(lower=0).fillna(0)
        high = (g.test_high - g.test).clip(lower=0).fillna(0)
        style = dict(color="k", marker="o", lw=2) if variant == "full" else dict(marker="s", ls="--")
        line = ax.errorbar(g.position + offset, g.test, yerr=[low, high], capsize=3,
                           label="full decoder" if variant == "full" else f"reduced ({variant})", **style)
        best = g[g.best]
        ax.scatter(best.position + offset, best.test, s=160, facecolors="none",
                   edgecolors=line.lines[0].get_color(), zorder=6)
    ticks = df.drop_duplicates("position").sort_values("position")
    ax.set_xticks(ticks.position, ticks.layer)
    ax.set_xlabel("layer (hidden_states index); ring: best on devel")
    ax.set_ylabel(f"{df.ci_partition.iloc[0]} {metric} (95% interval)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, paths)
