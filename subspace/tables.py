"""Result tables in the paper's form: full vs reduced decoders per feature and threshold."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .atomic import read_json, write_csv, write_text
from .runs import best_seed, read_metrics


def seed_summary(metric_files: list[str], partition: str = "devel") -> dict:
    """Best seed's score and mean +- std over seeds, with parameters and training time."""
    records = [read_metrics(p) for p in metric_files]
    scores = np.array([r["scores"][partition] for r in records])
    best = records[best_seed(records)]
    return {"best": best["scores"][partition], "mean": float(scores.mean()), "std": float(scores.std()),
            "test_of_best": best["scores"].get("test", np.nan),
            "n_dims": records[0]["n_dims"], "parameters": records[0]["parameters"],
            "train_seconds": float(np.mean([r["train_seconds"] for r in records])),
            "epoch_seconds": float(np.median([r["median_epoch_seconds"] for r in records])),
            "n_seeds": len(records), "collapsed_seeds": sum(bool(r.get("collapsed_targets")) for r in records),
            "small_data": next((r["small_data"] for r in records if r.get("small_data")), "")}


def comparison_table(task: str, full: dict[str, list[str]], reduced: dict[tuple[str, str], list[str]],
                     selections: dict[tuple[str, str], str]) -> pd.DataFrame:
    """One row per (feature, threshold): full vs reduced devel scores, size and time."""
    rows = []
    for (feature, threshold), files in sorted(reduced.items()):
        f, r = seed_summary(full[feature]), seed_summary(files)
        sel = read_json(selections[(feature, threshold)])
        rows.append({
            "task": task, "feature": feature, "threshold": threshold, "n_seeds": min(f["n_seeds"], r["n_seeds"]),
            "kept_dims": sel["n_kept"], "total_dims": sel["n_total"],
            "full_best": f["best"], "full_mean": f["mean"], "full_std": f["std"],
            "reduced_best": r["best"], "reduced_mean": r["mean"], "reduced_std": r["std"],
            "full_test": f["test_of_best"], "reduced_test": r["test_of_best"],
            "full_parameters": f["parameters"], "reduced_parameters": r["parameters"],
            "full_train_s": f["train_seconds"], "reduced_train_s": r["train_seconds"],
            "full_epoch_s": f["epoch_seconds"], "reduced_epoch_s": r["epoch_seconds"],
            "full_collapsed_seeds": f["collapsed_seeds"], "reduced_collapsed_seeds": r["collapsed_seeds"],
            "full_small_data": f["small_data"], "reduced_small_data": r["small_data"],
        })
    return pd.DataFrame(rows)


def _devel(best: float, mean: float, std: float, n_seeds: int) -> str:
    """The best seed's score, with mean ± std over the seeds when there are several."""
    return f"{best:.4f} ({mean:.4f} ± {std:.4f})" if n_seeds > 1 else f"{best:.4f}"


def _score(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.4f}"


def to_markdown(df: pd.DataFrame, metric: str) -> str:
    several = bool(len(df)) and int(df["n_seeds"].min()) > 1
    devel = "best (mean ± std)" if several else ""
    lines = [f"| feature | threshold | kept dims | full devel {metric} {devel} | reduced devel {devel} "
             f"| full test {metric} | reduced test "
             "| parameters full → reduced | train s full → reduced | s/epoch full → reduced |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    lines[0] = lines[0].replace("  |", " |")
    for r in df.itertuples():
        lines.append(
            f"| {r.feature} | {r.threshold} | {r.kept_dims}/{r.total_dims} "
            f"| {_devel(r.full_best, r.full_mean, r.full_std, r.n_seeds)} "
            f"| {_devel(r.reduced_best, r.reduced_mean, r.reduced_std, r.n_seeds)} "
            f"| {_score(r.full_test)} | {_score(r.reduced_test)} "
            f"| {r.full_parameters:,} → {r.reduced_parameters:,} "
            f"({100 * (1 - r.reduced_parameters / r.full_parameters):.0f}% fewer) "
            f"| {r.full_train_s:.2f} → {r.reduced_train_s:.2f} "
            f"| {r.full_epoch_s:.3f} → {r.reduced_epoch_s:.3f} |")
    return "\n".join(lines) + "\n" + collapse_note(df) + small_data_note(df)


def collapse_note(df: pd.DataFrame) -> str:
    """Names the decoders whose devel predictions were nearly constant (train.collapsed_targets)."""
    if "full_collapsed_seeds" not in df:
        return ""
    found = {}
    for r in df.itertuples():
        for variant, count in (("full", r.full_collapsed_seeds), (r.threshold, r.reduced_collapsed_seeds)):
            if count:
                found[f"{r.feature} {variant}"] = f"{r.feature} {variant} ({count} of {r.n_seeds})"
    if not found:
        return ""
    return ("\nNearly constant devel predictions (the decoder learned little beyond the label prior, so its score and "
            "attributions mean little; see its training log): " + ", ".join(found.values()) + ".\n")


def small_data_note(df: pd.DataFrame) -> str:
    """Names the features whose training partition gave the decoders too few optimisation steps per epoch
    (train.small_data_warning), with the suggested settings."""
    if "full_small_data" not in df:
        return ""
    found = dict.fromkeys(f"{r.feature}: {r.full_small_data}" for r in df.itertuples() if r.full_small_data)
    if not found:
        return ""
    return "\nFew optimisation steps per epoch (see the training logs): " + "; ".join(found) + ".\n"


def write_table(df: pd.DataFrame, csv_path, md_path, title: str, metric: str) -> None:
    write_csv(csv_path, df)
    seeds = int(df["n_seeds"].min()) if len(df) else 0
    about = (f"'best' is the best of the {seeds} seeds on devel; test is that seed's test score"
             if seeds > 1 else "one seed; test is its test score")
    write_text(md_path, f"# {title}\n\n{metric.capitalize()} on devel and test ({about}).\n\n"
               + to_markdown(df, metric))


def recovery_table(selections: dict[tuple[str, str], str], planted: dict[str, list[int]]) -> pd.DataFrame:
    from .select import precision_recall
    rows = []
    for (feature, threshold), path in sorted(selections.items()):
        sel = read_json(path)
        p, r = precision_recall(sel["kept"], planted[feature])
        rows.append({"feature": feature, "threshold": threshold, "kept": sel["n_kept"],
                     "planted": len(planted[feature]), "total": sel["n_total"], "precision": p, "recall": r})
    return pd.DataFrame(rows)
