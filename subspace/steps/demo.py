"""Write a demo dataset with a planted relevant sub-space: a MuSe layout (``demo.humor`` / ``demo.mimic``) or a
sample table (``demo.tables.<task>``)."""
from __future__ import annotations

import json
import logging

from . import parser

log = logging.getLogger("subspace.demo")
KINDS = ("humor", "mimic", "table")


def kind(cfg, task: str) -> str:
    """Which generator writes a demo task's data."""
    return task if task in ("humor", "mimic") and task not in cfg.demo.tables else "table"


def spec(cfg, task: str) -> dict:
    """The generator's sizes for a demo task (the config's ``demo.<task>`` or ``demo.tables.<task>``)."""
    from ..config.demo_checks import demo_section
    return demo_section(cfg, task).model_dump()


def build_parser():
    p = parser(__doc__, "demo")
    p.add_argument("--kind", choices=KINDS, required=True, help="which layout to write")
    p.add_argument("--root", required=True, help="folder the task's data is written to")
    p.add_argument("--spec", required=True, help="JSON: the demo section (sizes, features to plant)")
    p.add_argument("--targets", default="[]", help="JSON list: Mimic's target names")
    p.add_argument("--seed", type=int, required=True, help="fixes everything written")
    return p


def execute(a) -> None:
    spec_ = json.loads(a.spec)
    if a.kind == "table":
        from ..demo_table import make_table
        truth = make_table(a.root, spec_, a.seed)
    else:
        from .. import demo
        truth = (demo.make_humor(a.root, spec_, a.seed) if a.kind == "humor"
                 else demo.make_mimic(a.root, spec_, json.loads(a.targets), a.seed))
    log.info("demo written to %s; planted dims per feature: %s", a.root, {k: len(v) for k, v in truth.items()})
