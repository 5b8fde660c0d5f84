"""Tables and figures of whether a selection holds: its stability across seeds, the attributions' input scale
and decoder checks, and the cross-task sub-spaces (one encoder, two tasks), with the paired cluster bootstrap of
:mod:`subspace.bootstrap`. The top-k sweep's tables are in :mod:`subspace.evaltables`.

Only numpy/pandas/matplotlib: these run in the plot environment.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import read_json
from .bootstrap import N_RESAMPLES, paired_difference
from .evaltables import ci_columns, delta_ci, interval_note
from .evaluate import jaccard, pairwise_jaccard
from .select import select_dims
from .targets import spec_metric


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


# --- the attributions' input scale (IG multiplies by the input) ---


def attribution_checks_table(per_feature: dict[str, str]) -> pd.DataFrame:
    """Per feature: the spread of the per-dimension std of the inputs IG saw, and the attribution job's
    warnings: scale (empty when the scales are comparable or the inputs were normalised) and decoder (the
    explained decoder's predictions were nearly constant)."""
    from .store import read_attributions

    rows = []
    for feature, path in per_feature.items():
        attrs = read_attributions(path)["attrs"]
        rows.append({"feature": feature, "n_samples": attrs.get("n_samples"),
                     "median_relative_completeness_error": attrs.get("median_relative_completeness_error"),
                     "input_std_min": attrs.get("input_std_min", np.nan), "input_std_max": attrs.get("input_std_max", np.nan),
                     "input_std_ratio": attrs.get("input_std_ratio", np.nan),
                     "scale_warning": str(attrs.get("scale_warning", "not checked (older attribution file)")),
                     "near_constant_dims": str(attrs.get("near_constant_dims", "")),
                     "scale_note": str(attrs.get("scale_note", "")),
                     "decoder_warning": str(attrs.get("decoder_warning", ""))})
    return pd.DataFrame(rows)


def attribution_checks_markdown(df: pd.DataFrame, title: str) -> str:
    lines = [f"# {title}", "",
             "Spread of the per-dimension std of the training rows the explained decoder sees (after its "
             "normalisation, if any), near-constant dimensions left out (named in the last column). Above 100x, "
             "Integrated Gradients (gradient x input) favours the large-scale dimensions (named in the warning); "
             "`normalise: true` puts every dimension on unit std. A decoder whose devel predictions "
             "are nearly constant has learned little, so what IG finds in it means little.", "",
             "| feature | samples | completeness error | input std min – max | ratio | warning | near-constant |",
             "|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(f"| {r.feature} | {r.n_samples} | {r.median_relative_completeness_error:.2e} "
                     f"| {r.input_std_min:.3g} – {r.input_std_max:.3g} | {r.input_std_ratio:.1f}x "
                     f"| {'; '.join(w for w in (r.scale_warning, r.decoder_warning) if w) or 'none'} "
                     f"| {r.near_constant_dims or 'none'} |")
    return "\n".join(lines) + "\n"


# --- cross-task sub-spaces: one encoder, two tasks ---


def _scores(paths) -> tuple[np.ndarray, np.ndarray]:
    records = [read_json(p) for p in paths]
    return (np.array([r["scores"]["devel"] for r in records]),
            np.array([r["scores"].get("test", np.nan) for r in records]))


def cross_task_table(directions: list[dict], n_resamples: int = N_RESAMPLES, unit: str = "group") -> pd.DataFrame:
    """Per (trained task, threshold): the Jaccard of the two tasks' selections, and the task's decoders
    retrained on its own sub-space, on the other task's, and on a random set of the other's size (same
    seeds), with paired bootstrap 95% intervals of the test score differences, resampling ``unit``.

    Each direction: task, feature, metric, other (``task:feature``), threshold, own_selection,
    other_selection, own_metrics (one metrics.json per seed) and cross (the cross-train summary)."""
    rows = []
    for d in directions:
        own, other = read_json(d["own_selection"]), read_json(d["other_selection"])
        cross = read_json(d["cross"])
        own_records = {read_json(p)["seed"]: p for p in d["own_metrics"]}
        by = {which: sorted((r for r in cross["results"] if r["which"] == which), key=lambda r: r["seed"])
              for which in ("other", "random")}
        seeds = [r["seed"] for r in by["other"]]
        own_devel, own_test = _scores([own_records[s] for s in seeds])
        own_pred = {s: str(Path(own_records[s]).parent / "predictions.csv") for s in seeds}
        row = {"task": d["task"], "feature": d["feature"], "other": d["other"], "threshold": d["threshold"],
               "total_dims": own["n_total"], "kept_own": own["n_kept"], "kept_other": other["n_kept"],
               "kept_by_both": len(set(own["kept"]) & set(other["kept"])),
               "jaccard": jaccard(own["kept"], other["kept"]), "n_seeds": len(seeds),
               "own_devel": own_devel.mean(), "own_devel_std": own_devel.std(),
               "own_test": own_test.mean(), "own_test_std": own_test.std()}
        for which in ("other", "random"):
            devel = np.array([r["scores"]["devel"] for r in by[which]])
            test = np.array([r["scores"].get("test", np.nan) for r in by[which]])
            row.update({f"{which}_devel": devel.mean(), f"{which}_devel_std": devel.std(),
                        f"{which}_test": test.mean(), f"{which}_test_std": test.std()})
        preds = {which: {r["seed"]: r["predictions"] for r in by[which]} for which in ("other", "random")}
        for name, a, b in (("other_minus_own", preds["other"], own_pred),
                           ("other_minus_random", preds["other"], preds["random"])):
            ci = paired_difference(spec_metric(d), [(a[s], b[s]) for s in seeds], n_resamples, unit=unit)
            undefined = max(row.get("ci_undefined", 0), ci["undefined_resamples"])
            row.update({name: ci["delta"], f"{name}_low": ci["low"], f"{name}_high": ci["high"], **ci_columns(ci),
                        "ci_undefined": undefined})
        rows.append(row)
    return pd.DataFrame(rows)


def cross_task_markdown(df: pd.DataFrame, title: str, metrics_by_task: dict[str, str]) -> str:
    n_seeds = int(df.n_seeds.max())
    part = df.ci_partition.iloc[0]
    lines = [f"# {title}", "",
             "Each task's decoder retrained on its own IG sub-space, on the other task's, and on a random set of "
             f"the other's size ({'mean ± std over ' + str(n_seeds) + ' seeds' if n_seeds > 1 else '1 seed'}; "
             f"{part} scores). Δ: {part} score differences with a "
             + "; ".join(f"{task}: {interval_note(rows)}" for task, rows in df.groupby("task", sort=False))
             + "; * marks an interval without 0.", "",
             "| task (metric) | threshold | kept own / other / both (of total) | Jaccard | own | other's sub-space "
             "| random, same size | Δ other − own | Δ other − random |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(
            f"| {r.task}:{r.feature} ({metrics_by_task.get(r.task, '')}) | {r.threshold} "
            f"| {r.kept_own} / {r.kept_other} / {r.kept_by_both} ({r.total_dims}) | {r.jaccard:.3f} "
            f"| {_pm(r.own_test, r.own_test_std, n_seeds)} | {_pm(r.other_test, r.other_test_std, n_seeds)} "
            f"| {_pm(r.random_test, r.random_test_std, n_seeds)} "
            f"| {delta_ci(r.other_minus_own, r.other_minus_own_low, r.other_minus_own_high)} "
            f"| {delta_ci(r.other_minus_random, r.other_minus_random_low, r.other_minus_random_high)} |")
    return "\n".join(lines) + "\n"


def _pm(mean: float, std: float, n_seeds: int) -> str:
    return f"{mean:.4f}" if n_seeds == 1 else f"{mean:.4f} ± {std:.4f}"


def cross_task_figure(attributions: dict[str, dict], threshold: str, title: str, paths) -> None:
    """Left: both tasks' IG means (each divided by its maximum) sorted on one axis. Right: every
    dimension's two attributions against each other, coloured by which task's ``threshold`` keeps it."""
    from .plot import save_figure  # first: it selects the Agg backend

    import matplotlib.pyplot as plt

    (name_a, a), (name_b, b) = attributions.items()
    va, vb = np.asarray(a["mean"], float), np.asarray(b["mean"], float)
    na, nb = va / (va.max() or 1.0), vb / (vb.max() or 1.0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.2))
    for name, values, color in ((name_a, na, "tab:blue"), (name_b, nb, "tab:red")):
        left.plot(np.arange(len(values)), np.sort(values)[::-1], color=color, lw=1.5, label=name)
    left.set_xlabel("dimension rank (each task sorted by its own attribution)")
    left.set_ylabel("mean |IG| / its maximum")
    left.set_title("sorted attributions", fontsize=10)
    left.legend(fontsize=8)
    keep_a, keep_b = set(select_dims(va, threshold).tolist()), set(select_dims(vb, threshold).tolist())
    groups = {"kept by both": (keep_a & keep_b, "tab:purple"), f"only {name_a}": (keep_a - keep_b, "tab:blue"),
              f"only {name_b}": (keep_b - keep_a, "tab:red"),
              "neither": (set(range(len(va))) - keep_a - keep_b, "lightgray")}
    for label, (dims, color) in groups.items():
        dims = sorted(dims)
        right.scatter(na[dims], nb[dims], s=14, color=color, label=f"{label} ({len(dims)})")
    right.set_xlabel(f"{name_a}: mean |IG| / max")
    right.set_ylabel(f"{name_b}: mean |IG| / max")
    right.set_title(f"per dimension; selection: {threshold} threshold, Jaccard {jaccard(keep_a, keep_b):.2f}",
                    fontsize=10)
    right.legend(fontsize=7)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    save_figure(fig, paths)
