"""The top-k sweep of one feature: a table (devel per method and k; test differences to the full decoder and
to the random control with bootstrap intervals) and its figure."""
from __future__ import annotations

import json

from . import parser
from .table import seed_metrics, table_arguments


def sweep_seeds(cfg) -> list[int]:
    """The seeds that retrain each (method, k): the first `evaluation.seeds` of `seeds`."""
    return cfg.seeds[: cfg.evaluation.seeds]


def chosen(cfg, task: str, key: str) -> list[str]:
    """The swept features of a task that `evaluation.<key>` (removal, control) names: true (every swept
    feature), false, or {task: [features]}."""
    ev = cfg.evaluation
    value = getattr(ev, key) if ev else False
    if isinstance(value, dict):
        return value.get(task, [])
    return list(ev.features.get(task, [])) if value else []


def records(cfg, task: str, feature: str) -> dict[str, list[str]]:
    from ..layout import Results
    r = Results(cfg.results)
    return {m: [r.topk_record(task, feature, m, s) for s in sweep_seeds(cfg)] for m in cfg.evaluation.methods}


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
