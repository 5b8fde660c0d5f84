"""Tables and figures of the evaluation: the top-k sweep, the selection stability across seeds, and
the cross-task comparison, with paired bootstrap confidence intervals that resample the test set's
grouping unit (:mod:`subspace.bootstrap`).

Only numpy/pandas/matplotlib: these run in the plot environment.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import read_json
from .bootstrap import N_RESAMPLES, paired_difference
from .evaluate import METHODS, jaccard, pairwise_jaccard
from .select import select_dims
from .targets import spec_metric

METHOD_LABELS = {"ig": "Integrated Gradients", "random": "random (control)", "saliency": "Saliency",
                 "input_x_gradient": "Input × Gradient", "mean_score": "window-mean score",
                 "std_score": "window-std score", "mutual_info": "mutual information", "l1_linear": "L1 linear model"}
METHOD_STYLE = {"ig": ("tab:blue", "o"), "random": ("tab:gray", "s"), "saliency": ("tab:green", "^"),
                "input_x_gradient": ("tab:orange", "D"), "mean_score": ("tab:purple", "v"),
                "std_score": ("tab:brown", "<"), "mutual_info": ("tab:red", "P"), "l1_linear": ("tab:olive", "X")}


def mean_std(values) -> str:
    """'mean ± std' over seeds, or just the value for one seed (no spread to show)."""
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.4f}" if len(values) == 1 else f"{values.mean():.4f} ± {values.std():.4f}"


def delta_ci(delta: float, low: float, high: float) -> str:
    """A difference and its interval; * marks an interval that excludes 0."""
    if np.isnan(delta):
        return "–"
    if np.isnan(low):
        return f"{delta:+.4f} [no interval]"
    mark = "*" if low > 0 or high < 0 else ""
    return f"{delta:+.4f} [{low:+.4f}, {high:+.4f}]{mark}"


# what one draw of the cluster bootstrap is (:data:`subspace.bootstrap.UNITS`), for the tables' notes
UNIT_WORDS = {"group": ("groups", "the `group` column; in MuSe the video"),
              "subject": ("subjects", "the `subject` column; in MuSe-Humor the coach")}
FEW_UNITS = 10  # below this many units a percentile bootstrap interval is only a rough guide


def ci_columns(ci: dict) -> dict:
    """A table row's record of how an interval was resampled (see :func:`interval_note`)."""
    return {"ci_partition": ci["partition"], "ci_samples": ci["n_samples"], "ci_unit": ci["unit"],
            "ci_requested_unit": ci["requested_unit"], "ci_units": ci["n_units"],
            "ci_undefined": ci["undefined_resamples"], "ci_resamples": ci["n_resamples"]}


def interval_note(df: pd.DataFrame) -> str:
    """What a table's 95% intervals resampled, from its ci_* columns: e.g. '95% paired bootstrap interval over
    the 24 test groups (cluster bootstrap: ...; 1000 resamples)'; a fallback to samples says why."""
    if "ci_unit" not in df or df.ci_unit.isna().all():
        return ""
    done = df.dropna(subset=["ci_unit"])
    texts = []
    for part, unit, requested, n_units, n_rows in done[["ci_partition", "ci_unit", "ci_requested_unit", "ci_units",
                                                        "ci_samples"]].drop_duplicates().itertuples(index=False):
        if unit == "sample":
            why = ("" if requested == "sample" else ": the predictions have no `group` column, so samples that "
                   "share a video or speaker count as independent and the interval can be too narrow")
            texts.append(f"over the {int(n_rows)} {part} samples (each resampled on its own{why})")
        else:
            plural, meaning = UNIT_WORDS[unit]
            few = ("; a single one gives no interval" if n_units == 1 else
                   f"; with so few {plural} the interval is rough" if n_units < FEW_UNITS else "")
            texts.append(f"over the {int(n_units)} {part} {plural if n_units != 1 else unit} ({meaning}; "
                         f"{int(n_rows)} samples; cluster bootstrap: a drawn {unit} brings all its samples{few})")
    undefined = int(done.ci_undefined.max())
    return (f"95% paired bootstrap interval {'; '.join(texts)}, {int(done.ci_resamples.max())} resamples"
            + (f" (up to {undefined} of them had an undefined score, e.g. one class only, and were left out)"
               if undefined else ""))


def topk_table(records: dict[str, list[str]], full_metrics: list[str], metric: str | None = None,
               n_resamples: int = N_RESAMPLES, unit: str = "group") -> pd.DataFrame:
    """One row per (method, k): devel and test scores over the sweep's seeds, the full decoder's mean
    devel score for reference, and (with ``metric``) paired bootstrap 95% intervals of the test
    score minus the full decoder's and minus the random control's at the same k (same seeds), resampling
    ``unit`` (:data:`subspace.bootstrap.UNITS`). A ranking the rank step left out gets one row with its
    reason (``left_out``) and no scores; ``tied_by_index`` counts the top-k dimensions that a tie at the
    cut took in index order (of ``tied_of`` tied dimensions)."""
    full_records = [read_json(p) for p in full_metrics]
    full = np.array([r["scores"]["devel"] for r in full_records])
    full_predictions = {r.get("seed"): str(Path(p).parent / "predictions.csv") for r, p in zip(full_records, full_metrics)}
    runs_by, left_out = {}, {}
    for method, files in records.items():
        for path in files:
            rec = read_json(path)
            if rec.get("left_out"):
                left_out[method] = {"reason": rec["left_out"], "dim": rec["dim"]}
            for r in rec["results"]:
                runs_by.setdefault((method, r["n_dims"]), []).append({**r, "seed": rec["seed"], "dim": rec["dim"]})
    # the configured order of METHODS (IG first, the random control next), not the spec's sorted keys
    methods = [m for m in METHODS if m in records] + [m for m in records if m not in METHODS]
    rows = []
    for (method, n), runs in sorted(runs_by.items(), key=lambda item: (methods.index(item[0][0]), item[0][1])):
        runs = sorted(runs, key=lambda r: r["seed"])
        devel = np.array([r["scores"]["devel"] for r in runs])
        test = np.array([r["scores"].get("test", np.nan) for r in runs])
        tie = runs[0].get("tied_at_cut") or {"by_index": 0, "tied": 0}
        row = {"method": method, "k": n, "k_config": runs[0]["k"], "fraction": n / runs[0]["dim"],
               "n_seeds": len(runs), "devel_mean": devel.mean(), "devel_std": devel.std(),
               "devel_best": devel.max(), "test_of_best": test[int(devel.argmax())],
               "test_mean": test.mean(), "test_std": test.std(),
               "parameters": runs[0]["parameters"], "train_s": float(np.mean([r["train_seconds"] for r in runs])),
               "full_devel_mean": full.mean(), "full_dims": runs[0]["dim"], "left_out": "",
               "tied_by_index": tie["by_index"], "tied_of": tie["tied"]}
        if metric is not None:
            comparisons = {"full": [(r["predictions"], full_predictions[r["seed"]]) for r in runs]}
            random_runs = {r["seed"]: r for r in runs_by.get(("random", n), [])}
            if method != "random" and all(r["seed"] in random_runs for r in runs):
                comparisons["random"] = [(r["predictions"], random_runs[r["seed"]]["predictions"]) for r in runs]
            for name in ("full", "random"):
                if name in comparisons:
                    ci = paired_difference(metric, comparisons[name], n_resamples, unit=unit)
                    row.update({f"minus_{name}": ci["delta"], f"minus_{name}_low": ci["low"],
                                f"minus_{name}_high": ci["high"]})
                    undefined = max(row.get("ci_undefined", 0), ci["undefined_resamples"])
                    row.update(ci_columns(ci), ci_undefined=undefined)
                else:
                    row.update({f"minus_{name}": np.nan, f"minus_{name}_low": np.nan, f"minus_{name}_high": np.nan})
        rows.append(row)
    for method, out in left_out.items():
        rows.append({"method": method, "k": np.nan, "n_seeds": 0, "full_devel_mean": full.mean(),
                     "full_dims": out["dim"], "left_out": out["reason"]})
    return pd.DataFrame(rows)


def topk_markdown(df: pd.DataFrame, title: str, metric: str) -> str:
    """Methods side by side: one row per k, one column per method: the devel score (mean ± std over
    seeds), then the test score's difference to the full decoder and to the random control with 95%
    bootstrap intervals. A left-out ranking's column says so, with the reason below; † marks a top k
    that a tie at the cut filled in index order."""
    methods = list(dict.fromkeys(df.method))
    trained = df[df.left_out == ""] if "left_out" in df else df
    left_out = dict(zip(df.method, df.left_out)) if "left_out" in df else {}
    n_seeds = int(trained.n_seeds.max())
    spread = f"mean ± std over {n_seeds} seeds" if n_seeds > 1 else "1 seed"
    averaged = f"mean over {n_seeds} seeds" if n_seeds > 1 else "1 seed"
    header = ["| k | " + " | ".join(METHOD_LABELS.get(m, m) for m in methods) + " |",
              "|---|" + "---|" * len(methods)]

    def grid(cell) -> list[str]:
        lines = list(header)
        for k, group in trained.groupby("k", sort=True):
            cells = []
            for m in methods:
                row = group[group.method == m]
                if left_out.get(m) or row.empty:
                    cells.append("left out" if left_out.get(m) else "–")
                else:
                    cells.append(cell(row.iloc[0]) + (" †" if row.iloc[0].get("tied_by_index", 0) > 0 else ""))
            lines.append(f"| {int(k)} ({100 * k / df.full_dims.iloc[0]:.0f}%) | " + " | ".join(cells) + " |")
        return lines

    def devel(r):
        return f"{r.devel_mean:.4f}" if n_seeds == 1 else f"{r.devel_mean:.4f} ± {r.devel_std:.4f}"

    lines = [f"# {title}", "",
             f"Devel {metric} of decoders retrained on the k top-ranked dimensions ({spread}); full decoder: "
             f"{df.full_devel_mean.iloc[0]:.4f} on all {int(df.full_dims.iloc[0])} dimensions.", ""] + grid(devel)
    notes = [f"- {METHOD_LABELS.get(m, m)}: {reason}" for m, reason in left_out.items() if reason]
    if "tied_by_index" in trained:
        notes += [f"- † {METHOD_LABELS.get(r.method, r.method)}, k = {int(r.k)}: {int(r.tied_by_index)} of the "
                  f"{int(r.k)} dimensions were taken in index order among {int(r.tied_of)} with the same score"
                  for r in trained.itertuples() if r.tied_by_index > 0]
    if notes:
        lines += [""] + notes
    if "minus_full" in trained:
        part = trained.ci_partition.dropna().iloc[0] if trained.ci_partition.notna().any() else "test"
        lines += ["", f"{part.capitalize()} {metric} minus the full decoder's (same seeds; {averaged}), with a "
                  f"{interval_note(trained)}; * marks an interval without 0.", ""]
        lines += grid(lambda r: delta_ci(r.minus_full, r.minus_full_low, r.minus_full_high))
        lines += ["", f"{part.capitalize()} {metric} minus the random control's at the same k (same seeds), "
                  "with the same intervals.", ""]
        lines += grid(lambda r: delta_ci(r.minus_random, r.minus_random_low, r.minus_random_high))
    return "\n".join(lines) + "\n"


def _limits_with(ax, values) -> None:
    """Widen the y range so every value (e.g. a reference line) sits inside the frame, not on it."""
    lo, hi = ax.get_ylim()
    values = [v for v in values if np.isfinite(v)]
    lo, hi = min([lo] + values), max([hi] + values)
    pad = 0.05 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)


def topk_figure(df: pd.DataFrame, title: str, metric: str, paths) -> None:
    """Left: devel score vs k per method (error bars: std over seeds), the full decoder dashed. Right
    (when the table has intervals): test score minus the full decoder's with 95% bootstrap intervals."""
    from .plot import save_figure  # first: it selects the Agg backend

    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if "left_out" in df:
        df = df[df.left_out.fillna("") == ""]  # a left-out ranking has no curve (its reason: the Markdown table)
    with_ci = "minus_full" in df and df.minus_full.notna().any()
    fig, axes = plt.subplots(1, 2 if with_ci else 1, figsize=(11.5 if with_ci else 6.2, 4.2), squeeze=False)
    ax = axes[0, 0]
    full = df.full_devel_mean.iloc[0]
    ax.axhline(full, color="k", ls="--", lw=1.2, zorder=5, label=f"full decoder ({int(df.full_dims.iloc[0])} dims)")
    ks = np.unique(df.k)
    gap = float(np.diff(ks).min()) if len(ks) > 1 else 1.0
    offsets = np.linspace(-0.1, 0.1, df.method.nunique()) * gap  # side by side: the intervals do not overlap
    for offset, (method, group) in zip(offsets, df.groupby("method", sort=False)):
        group = group.sort_values("k")
        color, marker = METHOD_STYLE.get(method, (None, "x"))
        ax.errorbar(group.k, group.devel_mean, yerr=group.devel_std if group.n_seeds.max() > 1 else None,
                    color=color, marker=marker, capsize=3, label=METHOD_LABELS.get(method, method))
        if with_ci:
            low = (group.minus_full - group.minus_full_low).clip(lower=0).fillna(0)  # NaN: a single unit
            high = (group.minus_full_high - group.minus_full).clip(lower=0).fillna(0)
            axes[0, 1].errorbar(group.k + offset, group.minus_full, yerr=[low, high], color=color, marker=marker,
                                capsize=3, label=METHOD_LABELS.get(method, method))
    _limits_with(ax, [full])
    ax.set_xlabel("k = dimensions kept (top-ranked by each method)")
    ax.set_ylabel(f"devel {metric}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    if with_ci:
        right = axes[0, 1]
        right.axhline(0.0, color="k", ls="--", lw=1.2, zorder=5, label="full decoder")
        _limits_with(right, [0.0])
        right.set_xlabel("k = dimensions kept")
        right.set_ylabel(f"{df.ci_partition.dropna().iloc[0]} {metric} − full decoder")
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        unit = df.dropna(subset=["ci_unit"]).iloc[0]
        resampled = (f"{int(unit.ci_units)} {UNIT_WORDS[unit.ci_unit][0]}" if unit.ci_unit in UNIT_WORDS
                     else f"{int(unit.ci_samples)} samples")
        right.set_title(f"difference to the full decoder, 95% bootstrap interval over {resampled}", fontsize=10)
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
