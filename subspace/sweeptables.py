"""The two checks of a top-k sweep beyond "does the top k retrain well" (docs/evaluation.md):

- **removal** (ROAR/KAR both directions): each ranking's top k against every dimension *but* its top k. A
  ranking that only looks good because k is large keeps scoring when its top k are removed.
- **control task** (Hewitt & Liang 2019; :mod:`subspace.control`): the same pipeline on labels permuted within
  groups; selectivity = task score − control score, on the same real test labels, with paired bootstrap
  intervals that resample the test set's grouping unit (:mod:`subspace.bootstrap`).

and the table of `selection.ranking: auto` (:mod:`subspace.rankchoice`): the ranking each swept feature's
selection took, against IG.

Only numpy/pandas/matplotlib: these run in the plot environment.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import rankchoice
from .atomic import read_json
from .bootstrap import N_RESAMPLES, paired_difference
from .evaltables import METHOD_LABELS, METHOD_STYLE, ci_columns, delta_ci, interval_note
from .evaluate import METHODS

NAN_CI = {"delta": np.nan, "low": np.nan, "high": np.nan}


def _ordered(methods) -> list[str]:
    """The configured order of METHODS (IG first, the random control next)."""
    return [m for m in METHODS if m in methods] + [m for m in methods if m not in METHODS]


def _runs(summaries: dict[str, list[dict]], key: str = "results") -> dict[tuple[str, int], dict[int, dict]]:
    """(method, k) -> seed -> the result of that seed's sweep (``results``: the top k kept; ``removed``: the
    top k removed, keyed by how many were removed)."""
    runs = {}
    for method, recs in summaries.items():
        for rec in recs:
            for r in rec.get(key, []):
                n = r["n_removed"] if key == "removed" else r["n_dims"]
                runs.setdefault((method, n), {})[rec["seed"]] = {**r, "dim": rec["dim"]}
    return runs


def _interval(row: dict, name: str, metric: str | None, pairs: list, n_resamples: int, unit: str) -> None:
    """``row[name]`` (and _low/_high): the paired bootstrap of A − B over ``pairs``, NaN without a metric or pairs."""
    if metric is None or not pairs:
        row.update({name: np.nan, f"{name}_low": np.nan, f"{name}_high": np.nan})
        return
    ci = paired_difference(metric, pairs, n_resamples, unit=unit)
    row.update({name: ci["delta"], f"{name}_low": ci["low"], f"{name}_high": ci["high"], **ci_columns(ci),
                "ci_undefined": max(row.get("ci_undefined", 0), ci["undefined_resamples"])})


def _mean(runs, partition: str) -> float:
    return float(np.mean([r["scores"].get(partition, np.nan) for r in runs])) if runs else np.nan


# --- removal: keep the top k vs remove it


def removal_table(records: dict[str, list[str]], full_metrics: list[str], metric: str | None = None,
                  n_resamples: int = N_RESAMPLES, unit: str = "group") -> pd.DataFrame:
    """One row per (method, k) with a removal run: the devel score of the decoders on the top k (``kept_devel``)
    and on every other dimension (``removed_devel``, ``n_left`` dimensions), means over seeds; with ``metric``,
    paired bootstrap 95% intervals of the test score with the top k removed minus the full decoder's
    (``removed_minus_full``) and minus the random control's with as many removed (``removed_minus_random``)."""
    summaries = {m: [read_json(p) for p in files] for m, files in records.items()}
    full_records = [read_json(p) for p in full_metrics]
    full = {r.get("seed"): str(Path(p).parent / "predictions.csv") for r, p in zip(full_records, full_metrics)}
    full_devel = float(np.mean([r["scores"]["devel"] for r in full_records]))
    kept, removed = _runs(summaries), _runs(summaries, "removed")
    methods = _ordered(summaries)
    rows = []
    for (method, n), by_seed in sorted(removed.items(), key=lambda i: (methods.index(i[0][0]), i[0][1])):
        seeds = sorted(by_seed)
        runs = [by_seed[s] for s in seeds]
        top = [kept[(method, n)][s] for s in seeds if s in kept.get((method, n), {})]
        row = {"method": method, "k": n, "k_config": runs[0]["k"], "fraction": n / runs[0]["dim"],
               "n_left": runs[0]["n_dims"], "n_seeds": len(runs), "kept_devel": _mean(top, "devel"),
               "removed_devel": _mean(runs, "devel"), "kept_test": _mean(top, "test"),
               "removed_test": _mean(runs, "test"), "full_devel_mean": full_devel, "full_dims": runs[0]["dim"]}
        _interval(row, "removed_minus_full", metric,
                  [(by_seed[s]["predictions"], full[s]) for s in seeds if s in full], n_resamples, unit)
        random = removed.get(("random", n), {})
        pairs = [(by_seed[s]["predictions"], random[s]["predictions"]) for s in seeds if s in random]
        _interval(row, "removed_minus_random", metric, pairs if method != "random" else [], n_resamples, unit)
        rows.append(row)
    return pd.DataFrame(rows)


def _grid(df: pd.DataFrame, cell, methods: list[str], dims: int) -> list[str]:
    lines = ["| k | " + " | ".join(METHOD_LABELS.get(m, m) for m in methods) + " |", "|---|" + "---|" * len(methods)]
    for k, group in df.groupby("k", sort=True):
        cells = []
        for m in methods:
            row = group[group.method == m]
            cells.append("–" if row.empty else cell(row.iloc[0]))
        lines.append(f"| {int(k)} ({100 * k / dims:.0f}%) | " + " | ".join(cells) + " |")
    return lines


def removal_markdown(df: pd.DataFrame, title: str, metric: str) -> str:
    """Per k and method: devel with the top k kept / with it removed; then the test differences with intervals."""
    if df.empty:
        return f"# {title}\n\nNo removal runs (every k is all the dimensions).\n"
    methods, dims = list(dict.fromkeys(df.method)), int(df.full_dims.iloc[0])
    lines = [f"# {title}", "",
             f"Devel {metric}, decoder on the top k / on every dimension but the top k (mean over "
             f"{int(df.n_seeds.max())} seed{'s' if df.n_seeds.max() > 1 else ''}); full decoder: "
             f"{df.full_devel_mean.iloc[0]:.4f} on all {dims} dimensions. A ranking that finds what the task "
             "needs scores high on its top k and loses most when it is removed; one that scores on both only "
             "shows that k dimensions are enough for anything.", ""]
    lines += _grid(df, lambda r: f"{r.kept_devel:.4f} / {r.removed_devel:.4f}", methods, dims)
    if df.get("removed_minus_full", pd.Series(dtype=float)).notna().any():
        part = df.ci_partition.dropna().iloc[0]
        lines += ["", f"{part.capitalize()} {metric} with the top k removed minus the full decoder's (same seeds), "
                  f"with a {interval_note(df)}; * marks an interval without 0.", ""]
        lines += _grid(df, lambda r: delta_ci(r.removed_minus_full, r.removed_minus_full_low,
                                              r.removed_minus_full_high), methods, dims)
        lines += ["", f"{part.capitalize()} {metric} with the top k removed minus the random control's with as "
                  "many removed (same intervals): below 0, the ranking's top k mattered more than k random "
                  "dimensions.", ""]
        lines += _grid(df, lambda r: delta_ci(r.removed_minus_random, r.removed_minus_random_low,
                                              r.removed_minus_random_high), methods, dims)
    return "\n".join(lines) + "\n"


def removal_figure(df: pd.DataFrame, title: str, metric: str, paths) -> None:
    """Left: devel score with each ranking's top k kept; right: with its top k removed; the full decoder dashed."""
    from .plot import save_figure  # first: it selects the Agg backend

    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2), sharey=True)
    for ax, column, what in ((axes[0], "kept_devel", "top k kept"), (axes[1], "removed_devel", "top k removed")):
        if not df.empty:
            ax.axhline(df.full_devel_mean.iloc[0], color="k", ls="--", lw=1.2,
                       label=f"full decoder ({int(df.full_dims.iloc[0])} dims)")
        for method, group in df.groupby("method", sort=False):
            group = group.sort_values("k")
            color, marker = METHOD_STYLE.get(method, (None, "x"))
            ax.plot(group.k, group[column], color=color, marker=marker, label=METHOD_LABELS.get(method, method))
        ax.set_xlabel(f"k = dimensions ranked first ({what})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(what, fontsize=10)
    axes[0].set_ylabel(f"devel {metric}")
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    save_figure(fig, paths)


# --- the control task: selectivity


def control_table(records: dict[str, list[str]], full_metrics: list[str], control: str, metric: str | None = None,
                  n_resamples: int = N_RESAMPLES, unit: str = "group") -> pd.DataFrame:
    """One row per (method, k) trained on both the task and the control labels, and one for the full decoders
    (method ``full``): devel and test scores of each (means over the sweep's seeds; the control's devel score is
    on its permuted devel labels) and, with ``metric``, ``selectivity``: the task decoders' test score minus
    the control's on the same real test labels, with a paired bootstrap 95% interval. ``control``: the
    control_train summary."""
    ctrl = read_json(control)
    task_runs = _runs({m: [read_json(p) for p in files] for m, files in records.items()})
    ctrl_runs = _runs(ctrl["records"])
    full_records = [read_json(p) for p in full_metrics]
    task_full = {r.get("seed"): {**r, "predictions": str(Path(p).parent / "predictions.csv"), "dim": ctrl["dim"]}
                 for r, p in zip(full_records, full_metrics)}
    within = ", ".join(f"{part}: within {p['within']}" for part, p in
                       sorted(ctrl["permutation"].items(), key=lambda item: item[0] != "train"))
    pairs_of = {("full", ctrl["dim"]): (task_full, {f["seed"]: {**f, "dim": ctrl["dim"]} for f in ctrl["full"]})}
    methods = _ordered({m for m, _ in task_runs})
    for key in sorted(task_runs, key=lambda i: (methods.index(i[0]), i[1])):
        pairs_of[key] = (task_runs[key], ctrl_runs.get(key, {}))
    rows = []
    for (method, n), (task, ctrl_by) in pairs_of.items():
        seeds = sorted(set(task) & set(ctrl_by))
        if not seeds:
            continue
        t, c = [task[s] for s in seeds], [ctrl_by[s] for s in seeds]
        row = {"method": method, "k": n, "fraction": n / ctrl["dim"], "n_seeds": len(seeds), "full_dims": ctrl["dim"],
               "task_devel": _mean(t, "devel"), "control_devel": _mean(c, "devel"), "task_test": _mean(t, "test"),
               "control_test": _mean(c, "test"), "permuted": within}
        _interval(row, "selectivity", metric, [(task[s]["predictions"], ctrl_by[s]["predictions"]) for s in seeds],
                  n_resamples, unit)
        rows.append(row)
    return pd.DataFrame(rows)


def control_markdown(df: pd.DataFrame, title: str, metric: str) -> str:
    """Per k and method: selectivity with its interval; then task / control devel scores."""
    full, sweep = df[df.method == "full"], df[df.method != "full"]
    methods, dims = list(dict.fromkeys(sweep.method)), int(df.full_dims.iloc[0])
    part = df.ci_partition.dropna().iloc[0] if "ci_partition" in df and df.ci_partition.notna().any() else "test"
    lines = [f"# {title}", "",
             f"Control task (Hewitt & Liang 2019): the same decoders, IG, rankings and top-k retraining on labels "
             f"permuted in train and devel ({df.permuted.iloc[0]}); {part} labels untouched. Selectivity = "
             f"{part} {metric} of the task's decoder minus the control's, on the same {part} samples (same seeds), "
             f"with a {interval_note(df) or 'no interval'}; * marks an interval without 0. High selectivity: the "
             "k dimensions hold what the task's labels need beyond what any labels with the same group mix "
             "would let a decoder fit.", ""]
    if not full.empty:
        r = full.iloc[0]
        lines += [f"All {dims} dimensions: task {r.task_test:.4f}, control {r.control_test:.4f}, selectivity "
                  f"{delta_ci(r.selectivity, r.selectivity_low, r.selectivity_high)}.", ""]
    if not sweep.empty:
        lines += _grid(sweep, lambda r: delta_ci(r.selectivity, r.selectivity_low, r.selectivity_high), methods, dims)
        lines += ["", f"Devel {metric}, task / control (the control on its own permuted devel labels: what early "
                  "stopping saw).", ""]
        lines += _grid(sweep, lambda r: f"{r.task_devel:.4f} / {r.control_devel:.4f}", methods, dims)
    return "\n".join(lines) + "\n"


# --- selection.ranking auto: the chosen ranking against IG


def choice_table(per_feature: dict[str, dict[str, list[str]]], metric: str | None = None,
                 n_resamples: int = N_RESAMPLES, unit: str = "group") -> pd.DataFrame:
    """Per swept feature: the chosen ranking, its and IG's mean devel score over the sweep, and (with ``metric``)
    the test score of the chosen ranking's top-k decoders minus IG's, paired by k and seed and averaged over them,
    with a paired bootstrap 95% interval (0 with no interval when IG is the choice)."""
    rows = []
    for feature, records in per_feature.items():
        choice = rankchoice.choose_ranking(records)
        best, devel = choice["ranking"], choice["devel_by_ranking"]
        row = {"feature": feature, "ranking": best, "devel": devel[best], "ig_devel": devel.get("ig", np.nan),
               "candidates": ", ".join(f"{m} {v:.4f}" for m, v in devel.items())}
        results = rankchoice.sweep_results(records)
        ig = {(r["n_dims"], r["seed"]): r["predictions"] for r in results.get("ig", [])}
        pairs = [(r["predictions"], ig[(r["n_dims"], r["seed"])]) for r in results[best]
                 if (r["n_dims"], r["seed"]) in ig]
        if metric is not None and pairs and best != "ig":
            ci = paired_difference(metric, pairs, n_resamples, unit=unit)
            row.update({"minus_ig": ci["delta"], "minus_ig_low": ci["low"], "minus_ig_high": ci["high"],
                        **ci_columns(ci)})
        else:
            row.update({"minus_ig": 0.0 if best == "ig" else np.nan, "minus_ig_low": np.nan,
                        "minus_ig_high": np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


def choice_markdown(df: pd.DataFrame, title: str, metric: str) -> str:
    part = df.ci_partition.dropna().iloc[0] if "ci_partition" in df and df.ci_partition.notna().any() else "test"
    note = interval_note(df)
    lines = [f"# {title}", "",
             "`selection.ranking: auto`: each swept feature's reduced decoders keep as many dimensions as IG's "
             "threshold, ranked first by the ranking whose top-k decoders scored best on devel (mean over the "
             f"sweep's k and seeds; the random control never counts, IG wins a tie). Δ: {part} {metric} of the "
             f"chosen ranking's top-k decoders minus IG's, paired by k and seed"
             + (f", with a {note}; * marks an interval without 0." if note else "."), "",
             f"| feature | chosen ranking | devel {metric} | IG's devel | Δ {part} chosen − IG | candidates (devel) |",
             "|---|---|---|---|---|---|"]
    for r in df.itertuples():
        delta = "IG itself" if r.ranking == "ig" else delta_ci(r.minus_ig, r.minus_ig_low, r.minus_ig_high)
        lines.append(f"| {r.feature} | {METHOD_LABELS.get(r.ranking, r.ranking)} | {r.devel:.4f} | {r.ig_devel:.4f} "
                     f"| {delta} | {r.candidates} |")
    return "\n".join(lines) + "\n"
