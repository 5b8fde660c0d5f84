"""A task's summary page (the report's first item of the task) and its lines for the terminal: per feature the
dimensions kept, full vs reduced score, parameters and time saved, and the warnings that matter."""
from __future__ import annotations

import json
import logging

from . import parser

log = logging.getLogger("subspace.task_summary")


def spec(cfg, task: str) -> dict:
    """The files of the task that the summary reads; fusion and fine-tuning where the config runs them."""
    from ..layout import Results
    from .table_html import metric_record
    r, t = Results(cfg.results), cfg.tasks[task]
    features = {f: {"store": r.store(task, f), "attribution": r.attribution(task, f),
                    "selections": {th: r.selection(task, f, th) for th in cfg.selection.thresholds}}
                for f in t.features}
    finetune = ({v: [r.finetune_file(task, v, s, "metrics.json") for s in cfg.finetune_seeds(task)]
                 for v in cfg.finetune[task].variants} if task in cfg.finetune else {})
    return {"task": task, "task_type": t.type, "metrics": metric_record(cfg, task), "targets": list(t.targets),
            "thresholds": list(cfg.selection.thresholds), "features": features,
            "full_vs_reduced": r.table(task, "full_vs_reduced", "csv"),
            "fusion": r.table(task, "fusion", "csv") if task in cfg.fusion.combinations else None,
            "finetune": finetune}


def spec_files(spec_: dict) -> list[str]:
    """Every file a summary spec names (the rule's inputs)."""
    files = [spec_["full_vs_reduced"], spec_["metrics"]] + ([spec_["fusion"]] if spec_["fusion"] else [])
    for f in spec_["features"].values():
        files += [f["store"], f["attribution"]] + list(f["selections"].values())
    return files + [p for paths in spec_["finetune"].values() for p in paths]


def build_parser():
    p = parser(__doc__, "task_summary")
    p.add_argument("--spec", required=True, help="JSON: the task's files (spec())")
    p.add_argument("--html", required=True, help="the summary page to write")
    p.add_argument("--text", required=True, help="the terminal's summary to write")
    return p


def execute(a) -> None:
    from .. import summary
    spec_ = json.loads(a.spec)
    data = summary.write_summary(spec_, a.html, a.text)
    for w in data["warnings"]:
        log.warning("%s: %s", spec_["task"], w)
