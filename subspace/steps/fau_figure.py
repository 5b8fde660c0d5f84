"""Integrated Gradients per facial action unit of one FAU feature, labelled by muscle, per target + average."""
from __future__ import annotations

import json
import logging

from . import parser

log = logging.getLogger("subspace.fau_figure")


def build_parser():
    p = parser(__doc__, "fau_figure")
    p.add_argument("--task", required=True)
    p.add_argument("--feature", required=True)
    p.add_argument("--attributions", required=True, help="the feature's attribution file")
    p.add_argument("--targets", required=True, help="JSON list: the task's targets")
    p.add_argument("--out", nargs="+", required=True, help="figure files (png, pdf)")
    return p


def execute(a) -> None:
    from .. import fau, store
    stats = store.read_attributions(a.attributions)
    # the decoder's outputs: a multiclass decoder's classes, else the task's targets
    classes = json.loads(stats["attrs"].get("classes") or "[]")
    ranking = fau.fau_figure(stats, classes or json.loads(a.targets), f"{a.task}: Integrated Gradients per facial "
                             f"action unit ({a.feature}), sorted", a.out, source=a.attributions,
                             overall="all classes" if classes else "average over targets")
    overall = list(ranking)[-1]  # the average over targets, or the only target
    log.info("most relevant action units (%s): %s", overall, ", ".join(ranking[overall][:5]))
