"""The paper's table of one task: full vs reduced decoders per feature and threshold (devel, test, size, time)."""
from __future__ import annotations

import json

from . import parser


def seed_metrics(cfg, task: str, feature: str, variant: str) -> list[str]:
    """Every seed's metrics.json of one decoder variant."""
    from ..layout import Results
    return [Results(cfg.results).seed_file(task, feature, variant, s, "metrics.json") for s in cfg.seeds]


def spec(cfg, task: str) -> dict:
    from ..layout import Results
    feats, thresholds = list(cfg.tasks[task].features), cfg.selection.thresholds
    from ..targets import metric_of
    return {"task_type": cfg.tasks[task].type, "metric": metric_of(cfg.tasks[task]),
            "full": {f: seed_metrics(cfg, task, f, "full") for f in feats},
            "reduced": {f"{f}|{t}": seed_metrics(cfg, task, f, t) for f in feats for t in thresholds},
            "selections": {f"{f}|{t}": Results(cfg.results).selection(task, f, t) for f in feats for t in thresholds}}


def spec_files(spec_: dict) -> list[str]:
    """Every file a table spec names (the rule's inputs)."""
    files = [p for paths in list(spec_["full"].values()) + list(spec_["reduced"].values()) for p in paths]
    return files + list(spec_["selections"].values())


def table_arguments(p, spec_help: str | None = None) -> None:
    """The arguments of a step that turns a task's spec into a CSV and a Markdown table."""
    p.add_argument("--task", required=True)
    p.add_argument("--spec", required=True, help=spec_help or "JSON: which files the table is made of")
    p.add_argument("--csv", required=True, help="the table as CSV (full precision)")
    p.add_argument("--md", required=True, help="the table as Markdown")


def build_parser():
    p = parser(__doc__, "table")
    table_arguments(p)
    return p


def execute(a) -> None:
    from .. import tables
    from ..targets import spec_metric
    spec_ = json.loads(a.spec)
    reduced = {tuple(k.split("|")): v for k, v in spec_["reduced"].items()}
    selections = {tuple(k.split("|")): v for k, v in spec_["selections"].items()}
    df = tables.comparison_table(a.task, spec_["full"], reduced, selections)
    tables.write_table(df, a.csv, a.md, f"{a.task}: full vs reduced decoders", spec_metric(spec_))
