"""Task metrics: ROC AUC for Humor, mean Pearson r over targets for Mimic."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """NaN where it is undefined: labels of one class only."""
    labels = np.asarray(labels).ravel()
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, np.asarray(scores).ravel()))


def mean_pearson(labels: np.ndarray, preds: np.ndarray) -> float:
    """NaN where it is undefined: a constant target."""
    labels, preds = np.atleast_2d(labels), np.atleast_2d(preds)
    rs = []
    for k in range(labels.shape[1]):
        if np.std(labels[:, k]) == 0:
            rs.append(float("nan"))
        elif np.std(preds[:, k]) == 0:
            rs.append(0.0)  # a constant prediction carries no correlation
        else:
            rs.append(float(np.corrcoef(labels[:, k], preds[:, k])[0, 1]))
    return float(np.mean(rs))


METRICS = {"binary": ("auc", roc_auc), "regression": ("pearson", mean_pearson)}


def score(task_type: str, labels: np.ndarray, preds: np.ndarray) -> float:
    return METRICS[task_type][1](labels, preds)


def metric_name(task_type: str) -> str:
    return METRICS[task_type][0]
