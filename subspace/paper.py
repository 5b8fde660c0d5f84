"""The paper's reported numbers, and the table that puts them beside a run's.

Source: Grósz, Virkkunen, Porjazovski, Kurimo, "Discovering Relevant Sub-spaces of BERT, Wav2Vec 2.0,
ELECTRA and ViT Embeddings for Humor and Mimicked Emotion Recognition with Integrated Gradients",
MuSe '23 (ACM), doi 10.1145/3606039.3613102; docs/sources.md lists the numbers with their source. Devel
scores are ROC AUC (Humor) and mean Pearson r over the 3 targets (Mimic); "best" is the best of 5 seeds. A
feature of a run maps to a row here through its config key ``paper:`` (w2v, vit, faus, mbert, bert-en, electra).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .atomic import read_json, write_csv, write_text
from .errors import InputError
from .runs import best_seed, read_metrics

SOURCE = "Grósz et al., MuSe '23, doi 10.1145/3606039.3613102"
NAN = math.nan
LABELS = {"w2v": "wav2vec 2.0", "vit": "ViT", "faus": "FAU", "mbert": "mBERT", "bert-en": "BERT-en (translated)",
          "electra": "ELECTRA"}
# The paper reduces with the mean threshold; a run's other thresholds match only where the paper
# gives a number for them (the 75th percentile's kept dimensions).
REDUCED = "mean"


@dataclass(frozen=True)
class Reported:
    devel_best: float = NAN
    devel_mean: float = NAN
    devel_std: float = NAN
    kept_dims: float = NAN      # NaN: not reported
    total_dims: float = NAN
    test: float = NAN
    fewer_parameters: float = NAN    # reduced vs full decoder, as a fraction
    less_train_time: float = NAN
    note: str = ""


_MIMIC_KEPT = "kept dims not given per feature: 25–42% of the input over the three"
_MIMIC_BEST = "one devel number per decoder (taken as the best seed's)"

# (task, paper feature, variant) -> reported numbers; variant `full` or a threshold
DECODERS: dict[tuple[str, str, str], Reported] = {
    ("humor", "w2v", "full"): Reported(.8435, .8332, .0082, 1024, 1024, test=.7940),
    ("humor", "w2v", "mean"): Reported(.8321, .8281, .0027, 216, 1024, test=.8074, fewer_parameters=.54,
                                       less_train_time=.48, note="parameters and time: 'approximately'"),
    ("humor", "w2v", "p75"): Reported(kept_dims=257, total_dims=1024, note="kept dims only"),
    ("humor", "vit", "full"): Reported(.8277, .7890, .0257, 384, 384),
    ("humor", "vit", "mean"): Reported(.7697, .7577, .0088, 162, 384),
    ("humor", "vit", "p75"): Reported(kept_dims=97, total_dims=384, note="kept dims only"),
    ("humor", "mbert", "full"): Reported(.8105, .7635, .0717, 768, 768, test=.7572),
    ("humor", "mbert", "mean"): Reported(.8065, .7836, .0216, 288, 768),
    ("humor", "mbert", "p75"): Reported(kept_dims=193, total_dims=768, note="kept dims only"),
    ("humor", "bert-en", "full"): Reported(.8274, .8218, .0032, 768, 768, test=.7803),
    ("humor", "bert-en", "mean"): Reported(.8260, total_dims=768, note="best only; kept dims not given"),
    ("mimic", "w2v", "full"): Reported(.4317, kept_dims=1024, total_dims=1024, note=_MIMIC_BEST),
    ("mimic", "w2v", "mean"): Reported(.4311, total_dims=1024, note=f"{_MIMIC_BEST}; {_MIMIC_KEPT}"),
    ("mimic", "faus", "full"): Reported(.1280, kept_dims=20, total_dims=20, note=_MIMIC_BEST),
    ("mimic", "faus", "mean"): Reported(.1168, total_dims=20, note=f"{_MIMIC_BEST}; {_MIMIC_KEPT}"),
    ("mimic", "electra", "full"): Reported(.4079, kept_dims=768, total_dims=768, note=_MIMIC_BEST),
    ("mimic", "electra", "mean"): Reported(.3972, total_dims=768, note=f"{_MIMIC_BEST}; {_MIMIC_KEPT}"),
}


@dataclass(frozen=True)
class ReportedFusion:
    task: str
    label: str
    members: frozenset      # {(paper feature, variant)}
    reported: Reported


FUSIONS = [
    ReportedFusion("humor", "A+T, baseline members", frozenset({("w2v", "full"), ("mbert", "full")}),
                   Reported(test=.8218)),
    ReportedFusion("humor", "A+T, reduced audio + BERT-en", frozenset({("w2v", REDUCED), ("bert-en", "full")}),
                   Reported(test=.8381)),
    ReportedFusion("humor", "A+V+T, baseline members",
                   frozenset({("w2v", "full"), ("vit", "full"), ("mbert", "full")}), Reported(test=.8310)),
    ReportedFusion("humor", "A+V+T, reduced audio + ViT + BERT-en",
                   frozenset({("w2v", REDUCED), ("vit", "full"), ("bert-en", "full")}),
                   Reported(test=.8420, note="members our reading of the paper")),
    ReportedFusion("mimic", "A+V+T, baseline members",
                   frozenset({("w2v", "full"), ("faus", "full"), ("electra", "full")}),
                   Reported(devel_best=.4789, test=.4727)),
]

# wav2vec 2.0 fine-tuned with the Pearson loss: the head on every dimension, or on the sub-space
FINETUNE: dict[tuple[str, str], Reported] = {
    ("mimic", "full"): Reported(.4824, test=.4644),
    ("mimic", REDUCED): Reported(.4793, test=.4573, note="head on the relevant sub-space's outputs"),
}

COLUMNS = ["task", "kind", "run", "paper", "variant",
           "paper_devel_best", "paper_devel_mean", "paper_devel_std",
           "run_devel_best", "run_devel_mean", "run_devel_std", "devel_best_diff",
           "paper_kept_dims", "paper_total_dims", "run_kept_dims", "run_total_dims",
           "paper_test", "run_test", "paper_fewer_parameters", "run_fewer_parameters",
           "paper_less_train_time", "run_less_train_time", "paper_note"]


def _row(task, kind, run, paper, variant, rep: Reported, run_values: dict) -> dict:
    row = {"task": task, "kind": kind, "run": run, "paper": paper, "variant": variant,
           "paper_devel_best": rep.devel_best, "paper_devel_mean": rep.devel_mean, "paper_devel_std": rep.devel_std,
           "paper_kept_dims": rep.kept_dims, "paper_total_dims": rep.total_dims, "paper_test": rep.test,
           "paper_fewer_parameters": rep.fewer_parameters, "paper_less_train_time": rep.less_train_time,
           "run_fewer_parameters": NAN, "run_less_train_time": NAN,
           "paper_note": rep.note, "run_devel_best": NAN, "run_devel_mean": NAN, "run_devel_std": NAN,
           "run_kept_dims": NAN, "run_total_dims": NAN, "run_test": NAN}
    row.update(run_values)
    row["devel_best_diff"] = row["run_devel_best"] - rep.devel_best
    return row


def decoder_rows(task: str, features: dict[str, str], full_vs_reduced: pd.DataFrame, source="") -> list[dict]:
    """One row per (run feature, variant) that the paper reports: `full` and each threshold of the run."""
    rows = []
    for feature, paper in features.items():
        runs = full_vs_reduced[full_vs_reduced["feature"] == feature]
        if runs.empty:
            raise InputError(source, f"no rows for feature '{feature}' (its `paper: {paper}` row needs them)")
        first = runs.iloc[0]
        full = {"run_devel_best": first.full_best, "run_devel_mean": first.full_mean,
                "run_devel_std": first.full_std, "run_kept_dims": first.total_dims,
                "run_total_dims": first.total_dims, "run_test": first.full_test}
        variants = [("full", full)] + [
            (str(r.threshold), {"run_devel_best": r.reduced_best, "run_devel_mean": r.reduced_mean,
                                "run_devel_std": r.reduced_std, "run_kept_dims": r.kept_dims,
                                "run_total_dims": r.total_dims, "run_test": r.reduced_test,
                                "run_fewer_parameters": 1 - r.reduced_parameters / r.full_parameters,
                                "run_less_train_time": 1 - r.reduced_train_s / r.full_train_s})
            for r in runs.itertuples()]
        for variant, values in variants:
            rep = DECODERS.get((task, paper, variant))
            if rep is not None:
                rows.append(_row(task, "decoder", feature, LABELS[paper], variant, rep, values))
    return rows


def fusion_rows(task: str, features: dict[str, str], fusion: pd.DataFrame) -> list[dict]:
    """Fusion rows of the run (mean fusion: the baseline's) whose members map onto a reported combination."""
    rows = []
    for r in fusion[fusion["method"] == "mean"].itertuples():
        members = [m.strip().partition(":") for m in str(r.variants).split(" + ")]
        if any(f not in features for f, _, _ in members):
            continue
        signature = frozenset((features[f], v or "full") for f, _, v in members)
        for reported in FUSIONS:
            if reported.task == task and reported.members == signature:
                rows.append(_row(task, "fusion", r.variants, reported.label, "mean fusion", reported.reported,
                                 {"run_devel_best": r.devel, "run_test": r.test}))
    return rows


def finetune_rows(task: str, finetune: dict[str, list[str]]) -> list[dict]:
    """Fine-tuned wav2vec 2.0 per variant: best seed's devel score (and its test), mean ± std over seeds."""
    rows = []
    for variant, files in finetune.items():
        rep = FINETUNE.get((task, variant))
        if rep is None or not files:
            continue
        records = [read_metrics(p) for p in files]
        devel = np.array([rec["scores"]["devel"] for rec in records], dtype=float)
        best = best_seed(records)
        rows.append(_row(task, "finetune", "wav2vec 2.0 fine-tuned", "wav2vec 2.0 fine-tuned (Pearson loss)",
                         variant, rep, {"run_devel_best": devel[best], "run_devel_mean": devel.mean(),
                                        "run_devel_std": devel.std(),
                                        "run_test": records[best]["scores"].get("test", NAN)}))
    return rows


def read_table(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(path, "file does not exist") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise InputError(path, f"cannot read the table: {exc}") from None


def paper_vs_run(task: str, features: dict[str, str], full_vs_reduced, fusion=None,
                 finetune: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The paper's numbers beside the run's: decoders (full and reduced), late fusion, fine-tuning.

    ``full_vs_reduced`` and ``fusion`` are the run's tables (paths); ``features`` maps a run feature
    to its paper feature; ``finetune`` maps a variant to its seeds' metrics.json files.
    """
    rows = decoder_rows(task, features, read_table(full_vs_reduced), full_vs_reduced)
    if fusion:
        rows += fusion_rows(task, features, read_table(fusion))
    rows += finetune_rows(task, finetune or {})
    return pd.DataFrame(rows, columns=COLUMNS)


def _num(x, fmt=".4f") -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _score(best, mean, std) -> str:
    if math.isnan(best):
        return "—"
    return _num(best) + ("" if math.isnan(mean) else f" ({_num(mean)} ± {_num(std)})")


def _pct(x) -> str:
    return "—" if math.isnan(x) else f"{100 * x:.0f}%"


def _dims(kept, total) -> str:
    return "—" if math.isnan(kept) else f"{int(kept)}/{_num(total, '.0f')}"


def to_markdown(df: pd.DataFrame, task: str, metric: str) -> str:
    lines = [f"# {task}: the paper's reported numbers beside this run", "",
             f"Paper: {SOURCE}. Devel {metric}: best seed (mean ± std over seeds); Δ = run − paper (best). "
             "Test: the best devel seed's. Fusion: mean of the members' predictions (the baseline's).", "",
             "| kind | run | paper | variant | devel paper | devel run | Δ | kept dims paper | kept dims run "
             "| test paper | test run | fewer parameters paper / run | less training time paper / run | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(f"| {r.kind} | {r.run} | {r.paper} | {r.variant} "
                     f"| {_score(r.paper_devel_best, r.paper_devel_mean, r.paper_devel_std)} "
                     f"| {_score(r.run_devel_best, r.run_devel_mean, r.run_devel_std)} "
                     f"| {_num(r.devel_best_diff, '+.4f')} | {_dims(r.paper_kept_dims, r.paper_total_dims)} "
                     f"| {_dims(r.run_kept_dims, r.run_total_dims)} | {_num(r.paper_test)} | {_num(r.run_test)} "
                     f"| {_pct(r.paper_fewer_parameters)} / {_pct(r.run_fewer_parameters)} "
                     f"| {_pct(r.paper_less_train_time)} / {_pct(r.run_less_train_time)} | {r.paper_note} |")
    if df.empty:
        lines.append("| – | no feature of this run maps to a number the paper reports | | | | | | | | | | | | |")
    return "\n".join(lines) + "\n"


def write_paper_table(df: pd.DataFrame, task: str, metric: str, csv_path, md_path) -> None:
    write_csv(csv_path, df)
    write_text(md_path, to_markdown(df, task, metric))
