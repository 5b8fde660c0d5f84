"""Late fusion of one task's per-modality decoders (mean, or weights fitted on devel) vs the best single one."""
from __future__ import annotations

import json
import logging

from . import parser
from .table import seed_metrics, table_arguments

log = logging.getLogger("subspace.fuse")


def members(cfg, task: str) -> dict[str, list[str]]:
    """'feature:variant' -> its seeds' metrics.json, for every member of the task's combinations."""
    out = {}
    for combo in cfg.fusion.combinations.get(task, []):
        for text in combo:
            feature, _, variant = text.partition(":")
            out[f"{feature}:{variant or 'full'}"] = seed_metrics(cfg, task, feature, variant or "full")
    return out


def spec(cfg, task: str) -> dict:
    from .train import target_spec
    targets = target_spec(cfg, task)
    return {**{k: targets[k] for k in ("task_type", "targets", "metric", "classes")},
            "combinations": cfg.fusion.combinations[task], "methods": cfg.fusion.methods,
            "members": members(cfg, task)}


def build_parser():
    p = parser(__doc__, "fuse")
    table_arguments(p)
    p.add_argument("--predictions", required=True, help="the fused predictions (CSV) to write")
    return p


def execute(a) -> None:
    from .. import fuse
    from ..targets import spec_metric
    spec_ = json.loads(a.spec)
    metric = spec_metric(spec_)
    df, singles, fused = fuse.fusion_table(a.task, spec_["task_type"], spec_["targets"], spec_["combinations"],
                                           spec_["methods"], spec_["members"], metric, spec_.get("classes"))
    fuse.write_fusion(df, singles, fused, a.task, metric, a.csv, a.md, a.predictions)
    for r in df.itertuples():
        log.info("%s [%s]: devel %.4f vs best single %s %.4f (%+.4f), test %.4f", r.variants, r.method, r.devel,
                 r.best_single, r.best_single_devel, r.devel_gain, r.test)
