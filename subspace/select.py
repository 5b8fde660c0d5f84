"""Keep the dimensions whose aggregated attribution is above a threshold."""
from __future__ import annotations

import re

import numpy as np

from .errors import InputError

_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


def threshold_value(values: np.ndarray, threshold: str) -> float:
    """``mean`` (the paper's choice) or ``pNN``, the NN-th percentile of the dimensions' values."""
    if threshold == "mean":
        return float(np.mean(values))
    match = _PERCENTILE.match(threshold)
    if not match or not 0 < float(match.group(1)) < 100:
        raise ValueError(f"unknown threshold '{threshold}': use 'mean' or 'pNN' with 0 < NN < 100")
    return float(np.percentile(values, float(match.group(1))))


def select_dims(values: np.ndarray, threshold: str) -> np.ndarray:
    """Indices (ascending) of dimensions strictly above the threshold."""
    values = np.asarray(values, dtype=float)
    return np.flatnonzero(values > threshold_value(values, threshold))


def selection_record(values: np.ndarray, threshold: str, dim_names: list[str], source: str) -> dict:
    kept = select_dims(values, threshold)
    if len(kept) == 0:
        raise InputError(source, f"threshold '{threshold}' keeps zero dimensions")
    return {"threshold": threshold, "threshold_value": threshold_value(values, threshold),
            "kept": kept.tolist(), "kept_names": [dim_names[i] for i in kept],
            "n_kept": int(len(kept)), "n_total": int(len(values))}


def precision_recall(kept, planted) -> tuple[float, float]:
    kept, planted = set(map(int, kept)), set(map(int, planted))
    hit = len(kept & planted)
    return (hit / len(kept) if kept else 0.0), (hit / len(planted) if planted else 0.0)
