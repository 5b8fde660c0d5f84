"""Reading trained decoders' records (``metrics.json`` per seed) and choosing the best seed.

Every step that picks "the best seed" (attribution, fusion, the tables) uses :func:`best_seed`: the
highest devel score, the first seed on ties (the baseline keeps the best seed's model the same way).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .errors import InputError


def read_metrics(path) -> dict:
    """One seed's metrics.json; unreadable or without a devel score is an error naming it."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read metrics: {exc}") from None
    if not isinstance(record, dict) or "devel" not in record.get("scores", {}):
        raise InputError(path, "has no devel score (not a finished decoder's metrics.json?)")
    return record


def best_seed(records: list[dict]) -> int:
    """Index of the record with the highest devel score (the first on ties; a NaN score never wins)."""
    if not records:
        raise ValueError("no seeds to choose from")
    scores = [r["scores"]["devel"] for r in records]
    valid = [i for i, s in enumerate(scores) if s is not None and not math.isnan(s)]
    if not valid:
        raise ValueError("every seed's devel score is undefined (NaN)")
    return max(valid, key=lambda i: (scores[i], -i))


def best_of(metric_files: list) -> tuple[str, dict]:
    """(path, record) of the best seed among metrics.json files."""
    records = [read_metrics(p) for p in metric_files]
    i = best_seed(records)
    return str(metric_files[i]), records[i]


def predictions_of(metrics_file) -> str:
    """The predictions.csv written beside a seed's metrics.json."""
    return str(Path(metrics_file).parent / "predictions.csv")
