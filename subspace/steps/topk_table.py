"""The top-k sweep of one feature: a table (devel per method and k; test differences to the full decoder and
to the random control with bootstrap intervals) and its figure."""
from __future__ import annotations

import json

from ..sweepfiles import chosen, record_files, records  # noqa: F401 - the rules call them as topk_step.*
from . import parser
from .table import seed_metrics, table_arguments


def spec(cfg, task: str, feature: str) -> dict:
    from ..targets import metric_of
    return {"task_type": cfg.tasks[task].type, "metric": metric_of(cfg.tasks[task]),
            "records": records(cfg, task, feature),
            "full": seed_metrics(cfg, task, feature, "full"), "unit": cfg.evaluation.bootstrap_unit}


def build_parser():
    p = parser(__doc__, "topk_table")
    table_arguments(p)
    p.add_argument("--feature", required=True)
    p.add_argument("--figures", nargs="+", required=True, help="figure files (png, pdf)")
    return p


def execute(a) -> None:
    from .. import evaltables
    from ..targets import spec_metric
    from ..atomic import write_csv, write_text
    spec_ = json.loads(a.spec)
    metric = spec_metric(spec_)
    df = evaltables.topk_table(spec_["records"], spec_["full"], metric, unit=spec_["unit"])
    title = f"{a.task} / {a.feature}: top-k dimensions by attribution method"
    write_csv(a.csv, df)
    write_text(a.md, evaltables.topk_markdown(df, title, metric))
    evaltables.topk_figure(df, title, metric, a.figures)
