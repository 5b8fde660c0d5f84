"""Where each output sits in the Snakemake report: the section (subcategory) of its task's category and the label
that names it in the section's list. The rules' ``report(...)`` wrappers call these; nothing is imported here.

Snakemake lists a category's sections in alphabetical order, so their names start with a number: the task's
summary first, then the paper's table and the selections, the attributions, the FAU figures, fusion, fine-tuning,
the evaluation beyond the paper and the paper's numbers. A new kind of table needs a line in :data:`TABLES`
(a table not listed goes to the evaluation, labelled by its name).
"""
from __future__ import annotations

SUMMARY = "1 summary"
REDUCTION = "2 full vs reduced, kept dimensions"
ATTRIBUTIONS = "3 attributions"
FAU = "4 FAU by muscle"
FUSION = "5 fusion"
FINETUNE = "6 fine-tuning"
EVALUATION = "7 evaluation"
PAPER = "8 paper vs run"
SECTIONS = (SUMMARY, REDUCTION, ATTRIBUTIONS, FAU, FUSION, FINETUNE, EVALUATION, PAPER)

# table name (results/<task>/tables/<name>.csv) -> (section, what it is)
TABLES = {
    "full_vs_reduced": (REDUCTION, "full vs reduced decoders (table)"),
    "planted_recovery": (REDUCTION, "planted dimensions recovered (demo data)"),
    "ranking_choice": (REDUCTION, "the ranking each reduced decoder uses (selection.ranking auto)"),
    "attribution_checks": (ATTRIBUTIONS, "attribution checks: input scale, explained decoder"),
    "fusion": (FUSION, "late fusion vs the best single feature (table)"),
    "selection_stability": (EVALUATION, "selection stability across seeds (table)"),
    "paper_vs_run": (PAPER, "the paper's numbers beside this run's (table)"),
}


def label(text: str) -> dict:
    """A report item's label: one column, so Snakemake shows it as a list (two could turn into a toggle)."""
    return {"result": text}


def table_section(folder: str, name: str) -> str:
    if folder != "tables":
        return EVALUATION
    return TABLES.get(name, (EVALUATION, ""))[0]


def table_label(folder: str, name: str) -> dict:
    if folder == "evaluation/topk":
        feature, _, part = name.partition(".")
        what = {"removal": "top-k kept vs removed", "control": "top-k selectivity against a control task"}
        return label(f"{what[part]}, {feature} (table)" if part in what else f"top-k sweep of {name} (table)")
    if name.startswith("layers_"):
        return label(f"layers of {name[len('layers_'):]} (table)")
    if name.startswith("cross_task_"):
        return label(f"cross-task sub-spaces: {name[len('cross_task_'):]} (table)")
    return label(TABLES.get(name, (None, name.replace("_", " ") + " (table)"))[1])
