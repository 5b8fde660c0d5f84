"""The paper's reported numbers beside the run's, for the features that name a paper feature (``paper:``)."""
from __future__ import annotations

import json
import logging

from . import parser
from .table import table_arguments

log = logging.getLogger("subspace.paper_table")


def features(cfg, task: str) -> dict[str, str]:
    """Run feature -> the paper's feature (config key ``paper:``); features without it have no paper row."""
    return {f: hp.paper for f, hp in cfg.tasks[task].features.items() if hp.paper}


def spec(cfg, task: str) -> dict:
    from ..layout import Results
    r = Results(cfg.results)
    from ..targets import metric_of
    out = {"task_type": cfg.tasks[task].type, "metric": metric_of(cfg.tasks[task]), "features": features(cfg, task),
           "full_vs_reduced": r.table(task, "full_vs_reduced", "csv"), "fusion": None, "finetune": {}}
    if task in cfg.fusion.combinations:
        out["fusion"] = r.table(task, "fusion", "csv")
    if task in cfg.finetune:
        out["finetune"] = {v: [r.finetune_file(task, v, s, "metrics.json") for s in cfg.finetune_seeds(task)]
                           for v in cfg.finetune[task].variants}
    return out


def spec_files(spec_: dict) -> list[str]:
    """Every file a paper-table spec reads (the rule's inputs)."""
    return ([spec_["full_vs_reduced"]] + ([spec_["fusion"]] if spec_["fusion"] else [])
            + [p for files in spec_["finetune"].values() for p in files])


def build_parser():
    p = parser(__doc__, "paper_table")
    table_arguments(p, "JSON: task_type, features, full_vs_reduced, fusion, finetune")
    return p


def execute(a) -> None:
    from .. import paper
    from ..targets import spec_metric
    spec_ = json.loads(a.spec)
    df = paper.paper_vs_run(a.task, spec_["features"], spec_["full_vs_reduced"], spec_.get("fusion"),
                            spec_.get("finetune"))
    paper.write_paper_table(df, a.task, spec_metric(spec_), a.csv, a.md)
    log.info("%d rows beside the paper's numbers", len(df))
