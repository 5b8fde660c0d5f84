"""Tables and figures of the evaluation: the top-k sweep and the selection stability across seeds.

Only numpy/pandas/matplotlib: these run in the plot environment.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .atomic import read_json, write_text
from .evaluate import pairwise_jaccard
from .select import select_dims

METHOD_LABELS = {"ig": "Integrated Gradients", "random": "random (control)", "saliency": "Saliency",
                 "input_x_gradient": "Input × Gradient"}
METHOD_STYLE = {"ig": ("tab:blue", "o"), "random": ("tab:gray", "s"), "saliency": ("tab:green", "^"),
                "input_x_gradient": ("tab:orange", "D")}


def topk_table(records: dict[str, list[str]], full_metrics: list[str]) -> pd.DataFrame:
    """One row per (method, k): devel (and test) scores over the sweep's seeds, and the full decoder's
    mean devel score for reference."""
    full = np.array([read_json(p)["scores"]["devel"] for p in full_metrics])
    rows = []
    for method, files in records.items():
        by_k: dict[int, list[dict]] = {}
        for path in files:
            rec = read_json(path)
            for r in rec["results"]:
                by_k.setdefault(r["n_dims"], []).append({**r, "seed": rec["seed"], "dim": rec["dim"]})
        for n, runs in sorted(by_k.items()):
            devel = np.array([r["scores"]["devel"] for r in runs])
            test = [r["scores"].get("test", np.nan) for r in runs]
            rows.append({"method": method, "k": n, "k_config": runs[0]["k"], "fraction": n / runs[0]["dim"],
                         "n_seeds": len(runs), "devel_mean": devel.mean(), "devel_std": devel.std(),
                         "devel_best": devel.max(), "test_of_best": test[int(devel.argmax())],
                         "parameters": runs[0]["parameters"],
                         "train_s": float(np.mean([r["train_seconds"] for r in runs])),
                         "full_devel_mean": full.mean(), "full_dims": runs[0]["dim"]})
    return pd.DataFrame(rows)


def topk_markdown(df: pd.DataFrame, title: str, metric: str) -> str:
    """Methods side by side: one row per k, one column per method (devel mean ± std over seeds)."""
    methods = list(dict.fromkeys(df.method))
    lines = [f"# {title}", "",
             f"Devel {metric} of decoders retrained on the k top-ranked dimensions (mean ± std over "
             f"{int(df.n_seeds.max())} seed(s)); full decoder: {df.full_devel_mean.iloc[0]:.4f} "
             f"on all {int(df.full_dims.iloc[0])} dimensions.", "",
             "| k | " + " | ".join(METHOD_LABELS.get(m, m) for m in methods) + " |",
             "|---|" + "---|" * len(methods)]
    for k, group in df.groupby("k", sort=True):
        cells = []
        for m in methods:
            row = group[group.method == m]
            cells.append("–" if row.empty else f"{row.devel_mean.iloc[0]:.4f} ± {row.devel_std.iloc[0]:.4f}")
        lines.append(f"| {k} ({100 * k / df.full_dims.iloc[0]:.0f}%) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def topk_figure(df: pd.DataFrame, title: str, metric: str, paths) -> None:
    from .plot import save_figure  # first: it selects the Agg backend

    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6.2, 4.0))
    for method, group in df.groupby("method", sort=False):
        group = group.sort_values("k")
        color, marker = METHOD_STYLE.get(method, (None, "x"))
        ax.errorbar(group.k, group.devel_mean, yerr=group.devel_std if group.n_seeds.max() > 1 else None,
                    color=color, marker=marker, capsize=3, label=METHOD_LABELS.get(method, method))
    ax.axhline(df.full_devel_mean.iloc[0], color="k", ls="--", lw=1,
               label=f"full decoder ({int(df.full_dims.iloc[0])} dims)")
    ax.set_xlabel("k = dimensions kept (top-ranked by each method)")
    ax.set_ylabel(f"devel {metric}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, paths)


def stability_table(per_feature: dict[str, str], thresholds: list[str]) -> pd.DataFrame:
    """Per (feature, threshold): how much the selections of the seeds' decoders agree."""
    rows = []
    for feature, path in per_feature.items():
        rec = read_json(path)
        for threshold in thresholds:
            sets = [select_dims(np.asarray(m), threshold) for m in rec["mean"]]
            stats = pairwise_jaccard(sets)
            sizes = [len(s) for s in sets]
            common = set.intersection(*(set(map(int, s)) for s in sets))
            union = set.union(*(set(map(int, s)) for s in sets))
            rows.append({"feature": feature, "threshold": threshold, "n_seeds": len(sets),
                         "total_dims": len(rec["mean"][0]), "kept_min": min(sizes), "kept_max": max(sizes),
                         "kept_by_all": len(common), "kept_by_any": len(union),
                         "jaccard_mean": stats["mean"], "jaccard_std": stats["std"], "jaccard_min": stats["min"],
                         "n_pairs": stats["n_pairs"]})
    return pd.DataFrame(rows)


def stability_markdown(df: pd.DataFrame, title: str) -> str:
    lines = [f"# {title}", "",
             "Each seed's full decoder is attributed with Integrated Gradients and selected with the "
             "threshold; Jaccard = |A ∩ B| / |A ∪ B| over every pair of seeds.", "",
             "| feature | threshold | seeds | kept (min–max) / total | kept by all / any "
             "| Jaccard mean ± std | Jaccard min |",
             "|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(f"| {r.feature} | {r.threshold} | {r.n_seeds} | {r.kept_min}–{r.kept_max} / {r.total_dims} "
                     f"| {r.kept_by_all} / {r.kept_by_any} | {r.jaccard_mean:.3f} ± {r.jaccard_std:.3f} "
                     f"| {r.jaccard_min:.3f} |")
    return "\n".join(lines) + "\n"


def html_table(csv_path, title: str, out_path, note: str = "") -> None:
    """A self-contained HTML rendering of a CSV table (the report shows HTML, not CSV)."""
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for col in df.columns:  # round long floats for reading; the CSV keeps full precision
        num = pd.to_numeric(df[col], errors="coerce")
        if num.notna().all() and not df[col].str.fullmatch(r"-?\d+").all():
            df[col] = num.map(lambda v: f"{v:.4f}")
    body = df.to_html(index=False, border=0, classes="table", escape=True)
    style = ("body{font-family:sans-serif;font-size:13px;margin:12px}table{border-collapse:collapse}"
             "th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
             "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}")
    from html import escape
    write_text(out_path, f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
               f"<style>{style}</style></head><body><h3>{escape(title)}</h3>"
               + (f"<p>{escape(note)}</p>" if note else "") + body + "</body></html>\n")
