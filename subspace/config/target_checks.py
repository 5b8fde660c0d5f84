"""Config checks of a task's targets: the metric fits the kind; a multiclass task's classes, mapping and weights.

Collected as :class:`~subspace.config.checks.Problem` like every other check (:mod:`.checks`).
"""
from __future__ import annotations

from typing import Iterator

from .model import METRICS, Task
from .problems import Problem

TARGETS_DOC = "config/README.md#target-kinds-and-metrics"
PAPER_METRICS = {"humor": "auc", "mimic": "pearson"}  # what the paper's tables report (subspace/paper.py)


def check_targets(name: str, t: Task) -> Iterator[Problem]:
    """The target keys fit the task's kind: its metric, and the classes, mapping and weights of multiclass."""
    from ..targets import label_key


    key = f"tasks.{name}"
    if t.metric is not None and t.metric not in METRICS[t.type]:
        yield Problem(f"{key}.metric", f"'{t.metric}' does not score {t.type} targets: use one of "
                                       f"{list(METRICS[t.type])}", TARGETS_DOC)
    only = {"positive": "binary", "classes": "multiclass", "class_map": "multiclass", "class_weights": "multiclass"}
    for setting, kind in only.items():
        if getattr(t, setting) is not None and t.type != kind:
            yield Problem(f"{key}.{setting}", f"is for {kind} tasks; this task is {t.type}", TARGETS_DOC)
    papers = sorted(f for f, hp in t.features.items() if hp.paper)
    metric = t.metric or METRICS[t.type][0]
    if papers and metric != PAPER_METRICS.get(name):
        yield Problem(f"{key}.metric", f"features {papers} set `paper:`, but the paper reports "
                                       f"{PAPER_METRICS.get(name, 'no number')} for '{name}', not {metric}: its "
                                       f"numbers would stand beside another metric's", TARGETS_DOC)
    if t.type != "multiclass":
        return
    if len(t.targets) != 1:
        yield Problem(f"{key}.targets", f"a multiclass task has one target (the column holding the class), got "
                                        f"{t.targets}", TARGETS_DOC)
    classes = [label_key(c) for c in t.classes or []]
    if len(classes) < 2:
        yield Problem(f"{key}.classes", "a multiclass task lists its classes, at least 2 (the order of the "
                                        "outputs), e.g. [neu, hap, sad, ang]", TARGETS_DOC)
        return
    repeated = sorted({c for c in classes if classes.count(c) > 1})
    if repeated:
        yield Problem(f"{key}.classes", f"{repeated} are listed more than once", TARGETS_DOC)
    for source, target in (t.class_map or {}).items():
        if label_key(target) not in classes:
            yield Problem(f"{key}.class_map", f"maps '{source}' onto '{target}', which is not one of the classes "
                                              f"{classes}", TARGETS_DOC)
    if isinstance(t.class_weights, dict):
        weights = {label_key(c): w for c, w in t.class_weights.items()}
        missing, unknown = [c for c in classes if c not in weights], [c for c in weights if c not in classes]
        if missing or unknown:
            yield Problem(f"{key}.class_weights", f"needs one weight per class: missing {missing}, not classes "
                                                  f"{unknown} (or use `balanced`)", TARGETS_DOC)
        if any(w <= 0 for w in weights.values()):
            yield Problem(f"{key}.class_weights", "weights must be positive", TARGETS_DOC)
