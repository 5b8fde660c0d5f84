"""Tables and figures of the evaluation's top-k sweep, with paired bootstrap confidence intervals that resample
the test set's grouping unit (:mod:`subspace.bootstrap`); the interval helpers the other evaluation tables share.
Stability, attribution checks and cross-task tables: :mod:`subspace.holdtables`.

Only numpy/pandas/matplotlib: these run in the plot environment.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import read_json
from .bootstrap import N_RESAMPLES, paired_difference
from .evaluate import METHODS

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
