"""Task metrics, each ``metric(labels, preds) -> float`` and averaged over a task's targets.

``labels`` are (samples, targets) as stored: binary 0/1, multiclass the class index (one target), regression
the values. ``preds`` are what a decoder outputs: binary probabilities (samples, targets), multiclass class
probabilities (samples, classes), regression values (samples, targets). Which metric a task uses is
:mod:`subspace.targets`' to say; the class metrics are scikit-learn's.
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score


def _columns(labels, preds) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels, dtype=float)
    preds = np.asarray(preds, dtype=float)
    return labels.reshape(len(labels), -1), preds.reshape(len(preds), -1)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mean ROC AUC over the targets; NaN where it is undefined: a target's labels of one class only."""
    labels, scores = _columns(labels, scores)
    aucs = []
    for k in range(labels.shape[1]):
        if len(np.unique(labels[:, k])) < 2:
            return float("nan")
        aucs.append(roc_auc_score(labels[:, k], scores[:, k]))
    return float(np.mean(aucs))


def predicted_classes(labels: np.ndarray, preds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(true, predicted) class indices per target: the most probable class where ``preds`` holds one probability
    per class of a single target (multiclass), else probability >= 0.5 per binary target."""
    labels, preds = _columns(labels, preds)
    if preds.shape[1] != labels.shape[1]:
        if labels.shape[1] != 1:
            raise ValueError(f"class probabilities {preds.shape} need one label column, got {labels.shape}")
        return labels.astype(int), preds.argmax(1)[:, None]
    return labels.astype(int), (preds >= 0.5).astype(int)


def _per_target(score, labels, preds) -> float:
    true, predicted = predicted_classes(labels, preds)
    with warnings.catch_warnings():  # a class that a resample or a decoder never predicts is scored, not warned
        warnings.simplefilter("ignore")
        return float(np.mean([score(true[:, k], predicted[:, k]) for k in range(true.shape[1])]))


def uar(labels: np.ndarray, preds: np.ndarray) -> float:
    """Unweighted average recall (balanced accuracy) over the classes present in the labels."""
    return _per_target(balanced_accuracy_score, labels, preds)


def macro_f1(labels: np.ndarray, preds: np.ndarray) -> float:
    """F1 averaged over the classes present in the labels or the predictions (0 for a class never hit)."""
    return _per_target(lambda y, p: f1_score(y, p, average="macro", zero_division=0.0), labels, preds)


def accuracy(labels: np.ndarray, preds: np.ndarray) -> float:
    return _per_target(accuracy_score, labels, preds)


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


def mean_ccc(labels: np.ndarray, preds: np.ndarray) -> float:
    """Lin's concordance correlation coefficient, 2 cov / (var_y + var_p + (mean_y - mean_p)^2) with population
    moments, averaged over the targets; NaN where a target is constant (as :func:`mean_pearson`)."""
    labels, preds = _columns(labels, preds)
    ccc = []
    for y, p in zip(labels.T, preds.T):
        if np.std(y) == 0:
            return float("nan")
        cov = np.mean((y - y.mean()) * (p - p.mean()))
        ccc.append(2 * cov / (y.var() + p.var() + (y.mean() - p.mean()) ** 2))
    return float(np.mean(ccc))


METRICS = {"auc": roc_auc, "uar": uar, "macro_f1": macro_f1, "accuracy": accuracy, "pearson": mean_pearson,
           "ccc": mean_ccc}


def score(metric: str, labels, preds) -> float:
    """``metric`` (:data:`subspace.metrics.METRICS`) of predictions against stored labels."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric '{metric}': use one of {list(METRICS)}")
    return METRICS[metric](labels, preds)
