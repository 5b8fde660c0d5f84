"""Which ranking `selection.ranking: auto` chose for each swept feature of a task, with the chosen ranking's
top-k test score minus IG's and its bootstrap interval."""
from __future__ import annotations

import json

from . import parser
from .table import table_arguments


def spec(cfg, task: str) -> dict:
    from ..targets import metric_of
    from ..sweepfiles import records
    return {"task_type": cfg.tasks[task].type, "metric": metric_of(cfg.tasks[task]),
            "features": {f: records(cfg, task, f) for f in cfg.evaluation.features.get(task, [])},
            "unit": cfg.evaluation.bootstrap_unit}


def build_parser():
    p = parser(__doc__, "ranking_choice")
    table_arguments(p)
    return p


def execute(a) -> None:
    from .. import sweeptables
    from ..atomic import write_csv, write_text
    from ..targets import spec_metric
    spec_ = json.loads(a.spec)
    metric = spec_metric(spec_)
    df = sweeptables.choice_table(spec_["features"], metric, unit=spec_["unit"])
    write_csv(a.csv, df)
    write_text(a.md, sweeptables.choice_markdown(df, f"{a.task}: the ranking each reduced decoder uses", metric))
