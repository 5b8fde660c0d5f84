"""Multiclass tasks: a heatmap per feature of each class's mean attribution over the top dimensions."""
from __future__ import annotations

import json

from . import parser


def spec(cfg, task: str) -> dict:
    from ..layout import Results
    return {"attributions": {f: Results(cfg.results).attribution(task, f) for f in cfg.tasks[task].features}}


def build_parser():
    p = parser(__doc__, "plot_classes")
    p.add_argument("--task", required=True)
    p.add_argument("--spec", required=True, help="JSON: the task's attribution files")
    p.add_argument("--out", nargs="+", required=True, help="figure files (png, pdf)")
    return p


def execute(a) -> None:
    from .. import plot, store
    stats = {f: store.read_attributions(p) for f, p in json.loads(a.spec)["attributions"].items()}
    plot.class_attribution_figure(stats, a.task, a.out)
