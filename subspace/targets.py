"""The one place that knows the target kinds: ``binary``, ``multiclass`` and ``regression``.

A task's targets (config ``tasks.<task>``: ``type``, ``targets``, ``classes``, ``class_map``, ``positive``,
``class_weights``, ``metric``) decide how label cells become numbers (:func:`encode_labels`, called by the
readers), which output activation and loss a decoder gets, what its predictions.csv holds and which metric
scores it. Stored labels are float arrays: binary 0/1 per target, multiclass the class index (one column),
regression the values.

Neither torch nor scikit-learn: the store and extraction jobs encode labels through this module. The losses are
in :mod:`subspace.loss`, the metrics in :mod:`subspace.metrics`.
"""
from __future__ import annotations

import math
import unicodedata
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .config.model import METRICS as KIND_METRICS  # the metrics each kind may report, its default first

KINDS = tuple(KIND_METRICS)  # binary, multiclass, regression


class LabelError(ValueError):
    """A label cell that does not fit the task: ``row`` and ``column`` are its 0-based position in the values
    given to :func:`encode_labels`, so that a reader can name the file's line and column."""

    def __init__(self, problem: str, row: int, column: int):
        self.problem, self.row, self.column = problem, int(row), int(column)
        super().__init__(problem)


def setting(task_spec: Any, key: str, default=None):
    """A target setting of a task spec: a dict (a step's JSON spec) or the config model's ``Task``."""
    value = task_spec.get(key, default) if isinstance(task_spec, Mapping) else getattr(task_spec, key, default)
    return default if value is None else value


def label_key(value) -> str | None:
    """A label cell as comparable text: None where missing (None, NaN, empty text); a number written one way
    (``1``, ``1.0`` and ``"1"`` are ``"1"``; ``0.5`` is ``"0.5"``); other text stripped, in Unicode NFC."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFC", str(value).strip())
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return text
    if math.isnan(number):
        return None
    return str(int(number)) if number.is_integer() else repr(number)


def class_names(task_spec) -> list[str]:
    """A multiclass task's classes as label keys, in index order."""
    return [label_key(c) for c in setting(task_spec, "classes", [])]


def encode_labels(values, task_spec) -> np.ndarray:
    """Label cells (rows, or rows x targets) -> float32 (rows x targets), by the task's kind.

    * binary: 0/1 (numbers or text); with ``positive`` set, that value is 1.0 and the one other value of the
      column 0.0 (a third value is an error);
    * multiclass: ``class_map`` (e.g. ``exc -> hap``) first, then the index in ``classes`` (one target);
    * regression: the number.

    A missing cell (empty, NaN, None) is NaN: whether a partition may lack labels is the reader's to judge.
    A cell that does not fit raises :class:`LabelError` with its row and column.
    """
    kind = setting(task_spec, "type")
    if kind not in KINDS:
        raise ValueError(f"unknown target kind '{kind}': use one of {list(KINDS)}")
    array = np.asarray(values)
    if kind == "regression" and array.dtype.kind in "fiu":  # already numbers: nothing to parse
        return array.astype(np.float32).reshape(len(array), -1)
    frame = pd.DataFrame(array.astype(object).reshape(len(array), -1))
    if kind == "multiclass" and frame.shape[1] != 1:
        raise ValueError(f"a multiclass task has one label column (the class), got {frame.shape[1]}")
    out = np.empty(frame.shape, dtype=np.float32)
    for k in range(frame.shape[1]):
        keys = [label_key(cell) for cell in frame[k]]
        codes = {key: _code(key, kind, task_spec) for key in dict.fromkeys(keys)}  # each distinct label once
        out[:, k] = [codes[key][0] for key in keys]
        bad = next((i for i, key in enumerate(keys) if codes[key][1]), None)
        if bad is not None:
            raise LabelError(codes[keys[bad]][1], bad, k)
        if kind == "binary" and setting(task_spec, "positive") is not None:
            _check_two_values(keys, task_spec, k)
    return out


def _code(key: str | None, kind: str, task_spec) -> tuple[float, str]:
    """One label key's number, or NaN and the problem."""
    if key is None:
        return math.nan, ""
    if kind == "regression":
        try:
            return float(key), ""
        except ValueError:
            return math.nan, f"label '{key}' is not a number (regression task)"
    if kind == "binary":
        positive = setting(task_spec, "positive")
        if positive is not None:
            return float(key == label_key(positive)), ""
        if key in ("0", "1"):
            return float(key), ""
        return math.nan, (f"label '{key}' is not 0 or 1 (binary task): name the positive label value with "
                          f"`positive:` (the other value is then 0)")
    mapping = {label_key(a): label_key(b) for a, b in setting(task_spec, "class_map", {}).items()}
    classes = class_names(task_spec)
    mapped = mapping.get(key, key)
    if mapped in classes:
        return float(classes.index(mapped)), ""
    via = f" (mapped from '{key}' by class_map)" if mapped != key else ""
    return math.nan, (f"label '{mapped}'{via} is not one of the classes {classes}: list it in `classes`, or map it "
                      f"onto one with `class_map`")


def _check_two_values(keys: list, task_spec, k: int) -> None:
    """A binary column with a named positive value holds at most one other value."""
    positive = label_key(setting(task_spec, "positive"))
    others = list(dict.fromkeys(key for key in keys if key not in (None, positive)))
    if len(others) > 1:
        raise LabelError(f"label '{others[1]}' is a third value besides the positive '{positive}' and "
                         f"'{others[0]}': a binary target has two (use type: multiclass for more)",
                         keys.index(others[1]), k)


# ------------------------------------------------------------------------------------------- metrics
def metric_of(task_spec) -> str:
    """The task's metric: the configured one, else its kind's default (auc, uar, pearson)."""
    return setting(task_spec, "metric") or KIND_METRICS[setting(task_spec, "type")][0]


def spec_metric(spec: dict) -> str:
    """The metric of a step's spec (``task_type`` and ``metric``; a spec written without it: the kind's default)."""
    return metric_of({"type": spec["task_type"], "metric": spec.get("metric")})


# ------------------------------------------------------------------------------ outputs and losses
def n_outputs(kind: str, n_targets: int, classes) -> int:
    """The decoder's outputs: one per class (multiclass), else one per target."""
    return len(classes) if kind == "multiclass" else n_targets


def resolve_activation(requested: str, kind: str, labels: np.ndarray) -> str:
    """The decoder's final activation: ``softmax`` for multiclass; ``auto`` is ``sigmoid`` where ``labels`` (train
    and devel) lie in [0, 1] (the baseline's case) and ``standardise`` (no activation, targets standardised on
    train and mapped back) otherwise; ``sigmoid`` and ``none`` as asked."""
    if kind == "multiclass":
        return "softmax"
    if requested != "auto":
        return requested
    finite = labels[np.isfinite(labels)]
    return "sigmoid" if kind == "binary" or (finite.min() >= 0 and finite.max() <= 1) else "standardise"


def unreachable(activation: str, labels: np.ndarray, targets) -> str:
    """Why a sigmoid output cannot fit regression ``labels`` (a target outside [0, 1]), with the fix; "" where
    it can."""
    if activation != "sigmoid":
        return ""
    out = []
    for k, target in enumerate(targets):
        values = labels[:, k][np.isfinite(labels[:, k])]
        if len(values) and (values.min() < 0 or values.max() > 1):
            out.append(f"'{target}' ranges over [{values.min():g}, {values.max():g}]")
    if not out:
        return ""
    return (f"a sigmoid output lies in (0, 1), but target {', '.join(out)}: the decoder would predict nearly "
            f"constant values; set training.activation: auto (standardise the targets on train and map the "
            f"predictions back) or none, or rescale the labels to [0, 1]")


def target_scaler(train_labels: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean and std (ddof 0; 1 for a constant target) of each training target, to standardise and map back."""
    mean, std = np.nanmean(train_labels, axis=0), np.nanstd(train_labels, axis=0)
    return mean.astype(float).tolist(), np.where(std > 0, std, 1.0).astype(float).tolist()


def class_weights(chosen, classes, train_labels: np.ndarray) -> list[float] | None:
    """The cross-entropy's weight per class: ``balanced`` is scikit-learn's n / (classes x count) over train
    (a class absent from train weighs 0: it has no samples to weigh), a dict gives them by class, None none."""
    if chosen is None:
        return None
    keys = [label_key(c) for c in classes]
    if chosen == "balanced":
        y = train_labels[:, 0][np.isfinite(train_labels[:, 0])].astype(int)
        counts = np.bincount(y, minlength=len(keys)).astype(float)
        return np.where(counts > 0, len(y) / (len(keys) * np.maximum(counts, 1)), 0.0).tolist()
    weights = {label_key(c): float(w) for c, w in chosen.items()}
    return [weights[k] for k in keys]


def probabilities(kind: str, activation: str, outputs: np.ndarray) -> np.ndarray:
    """A decoder's activated outputs as predictions: a binary decoder without a sigmoid gives scores, made
    probabilities here (a threshold, fusion and the tables read probabilities); everything else as is."""
    if kind == "binary" and activation != "sigmoid":
        return 1.0 / (1.0 + np.exp(-outputs))
    return outputs


# ---------------------------------------------------------------------------------- predictions.csv
def prediction_columns(targets, classes=None) -> dict[str, list[str]]:
    """The columns of a predictions.csv: ``label_<target>`` and ``pred_<target>`` (multiclass: the class index
    and the most probable class) and, for multiclass, ``prob_<target>_<class>`` per class in output order."""
    out = {"label": [f"label_{t}" for t in targets], "pred": [f"pred_{t}" for t in targets]}
    if classes:
        out["prob"] = [f"prob_{targets[0]}_{label_key(c)}" for c in classes]
    return out


def prediction_values(labels: np.ndarray, preds: np.ndarray, targets, classes=None) -> dict[str, np.ndarray]:
    """Column -> values of a predictions.csv (:func:`prediction_columns`) for stored labels and a decoder's
    predictions: per target its label and prediction, then the class probabilities."""
    cols = prediction_columns(targets, classes)
    labels, preds = np.asarray(labels), np.asarray(preds)
    predicted = preds.argmax(1)[:, None].astype(labels.dtype) if classes else preds
    out = {}
    for k, (label, pred) in enumerate(zip(cols["label"], cols["pred"])):
        out[label], out[pred] = labels[:, k], predicted[:, k]
    out.update(zip(cols.get("prob", []), preds.T))
    return out


def prediction_arrays(df: pd.DataFrame, targets=None) -> tuple[np.ndarray, np.ndarray]:
    """(labels, predictions) of a predictions.csv as :mod:`subspace.metrics` takes them: the class probabilities
    where it has ``prob_`` columns (multiclass), else the ``pred_`` columns. ``targets`` default to the
    ``label_`` columns'."""
    if targets is None:
        targets = [c[len("label_"):] for c in df.columns if c.startswith("label_")]
    labels = df[[f"label_{t}" for t in targets]].to_numpy(float)
    prob = [c for c in df.columns if c.startswith(f"prob_{targets[0]}_")] if len(targets) == 1 else []
    return labels, df[prob or [f"pred_{t}" for t in targets]].to_numpy(float)
