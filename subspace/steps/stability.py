"""How much the selections of the seeds' full decoders agree: pairwise Jaccard per feature and threshold."""
from __future__ import annotations

import json

from . import parser
from .table import table_arguments


def features(cfg, task: str) -> list[str]:
    """`evaluation.stability`: true (every feature), false, or {task: [features]}."""
    chosen = cfg.evaluation.stability if cfg.evaluation else False
    if isinstance(chosen, dict):
        return chosen.get(task, [])
    return list(cfg.tasks[task].features) if chosen else []


def spec(cfg, task: str) -> dict:
    from ..layout import Results
    return {"features": {f: Results(cfg.results).seed_attributions(task, f) for f in features(cfg, task)},
            "thresholds": cfg.selection.thresholds}


def build_parser():
    p = parser(__doc__, "stability")
    table_arguments(p)
    return p


def execute(a) -> None:
    from .. import holdtables
    from ..atomic import write_csv, write_text
    spec_ = json.loads(a.spec)
    df = holdtables.stability_table(spec_["features"], spec_["thresholds"])
    write_csv(a.csv, df)
    write_text(a.md, holdtables.stability_markdown(df, f"{a.task}: stability of the selection across seeds"))
