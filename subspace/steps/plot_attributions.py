"""Sorted mean and std attribution figures of one task, one panel per feature (the paper's Figures 1-4)."""
from __future__ import annotations

import json

from . import parser


def spec(cfg, task: str, mean_out: list, std_out: list) -> dict:
    from ..layout import Results
    return {"attributions": {f: Results(cfg.results).attribution(task, f) for f in cfg.tasks[task].features},
            "mean_out": list(mean_out), "std_out": list(std_out), "thresholds": cfg.selection.thresholds}


def build_parser():
    p = parser(__doc__, "plot_attributions")
    p.add_argument("--task", required=True)
    p.add_argument("--spec", required=True, help="JSON: attribution files, output paths, thresholds")
    return p


def execute(a) -> None:
    from .. import plot, store
    spec_ = json.loads(a.spec)
    stats = {f: store.read_attributions(p) for f, p in spec_["attributions"].items()}
    plot.sorted_attribution_figure(stats, "mean", a.task, spec_["mean_out"], spec_["thresholds"])
    plot.sorted_attribution_figure(stats, "std", a.task, spec_["std_out"])
