"""Which files a feature's top-k sweep is made of, and which of its checks run: one place for the rules and for
the steps that read the sweep (topk_table, control_train, select). Imports nothing heavy, so a step in any
environment can use it."""
from __future__ import annotations

from .layout import Results


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
    """method -> the sweep's record of each seed (topk_train's summaries)."""
    r = Results(cfg.results)
    return {m: [r.topk_record(task, feature, m, s) for s in sweep_seeds(cfg)] for m in cfg.evaluation.methods}


def record_files(cfg, task: str, feature: str) -> list[str]:
    """Every record of :func:`records`, method by method: the inputs of the jobs that table the sweep."""
    return [p for files in records(cfg, task, feature).values() for p in files]
