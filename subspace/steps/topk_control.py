"""Selectivity of the top-k sweep of one feature (evaluation.control): the task's decoders minus the control
task's (labels permuted within groups), per ranking and k, with bootstrap intervals."""
from __future__ import annotations

import json

from . import parser
from .table import table_arguments


def spec(cfg, task: str, feature: str) -> dict:
    from ..layout import Results
    from .topk_table import spec as sweep_spec
    return {**sweep_spec(cfg, task, feature), "control": Results(cfg.results).control_record(task, feature)}


def build_parser():
    p = parser(__doc__, "topk_control")
    table_arguments(p)
    p.add_argument("--feature", required=True)
    return p


def execute(a) -> None:
    from .. import sweeptables
    from ..atomic import write_csv, write_text
    from ..targets import spec_metric
    spec_ = json.loads(a.spec)
    metric = spec_metric(spec_)
    df = sweeptables.control_table(spec_["records"], spec_["full"], spec_["control"], metric, unit=spec_["unit"])
    write_csv(a.csv, df)
    write_text(a.md, sweeptables.control_markdown(df, f"{a.task} / {a.feature}: selectivity against a control task",
                                                  metric))
