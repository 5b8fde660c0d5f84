"""Paired bootstrap intervals of test score differences, resampling the grouping unit (cluster bootstrap).

The windows of one video (and the videos of one coach) share a speaker, a setting and a label rate, so
they are not independent: resampling windows as if they were gives intervals that are too narrow. Each
resample therefore draws whole units with replacement: the ``group`` of a predictions.csv (Humor: the
video; Mimic: the video, which is the sample), its ``subject`` (Humor: the coach), or the rows
themselves (``sample``). A drawn unit brings all its rows and a unit drawn twice weighs its rows twice,
so a resample is one row of a weight matrix and every metric is computed for all resamples at once.
Every compared model is scored on the same unit draws (paired).

No torch: the table steps run in the plot environment.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError
from .targets import prediction_arrays

N_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
UNITS = ("group", "subject", "sample")  # what one draw of a resample is: a predictions.csv column, or a row


def bootstrap_indices(n_units: int, n_resamples: int = N_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """(n_resamples, n_units) indices of the units each resample draws, with replacement."""
    return np.random.default_rng(seed).integers(0, n_units, size=(n_resamples, n_units))


def row_weights(idx: np.ndarray, units: np.ndarray | None = None) -> np.ndarray:
    """(resamples, rows): how often each row occurs in each resample, i.e. how often its unit was drawn.
    ``units`` gives each row's unit index (None: every row is its own unit)."""
    n_units = idx.shape[1]
    offsets = np.arange(len(idx))[:, None] * n_units
    counts = np.bincount((idx + offsets).ravel(), minlength=len(idx) * n_units).reshape(len(idx), n_units)
    return (counts if units is None else counts[:, units]).astype(np.float64)


def _weighted_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """ROC AUC (ties count one half, like scikit-learn) of each weight row: a resample with repeats."""
    order = np.argsort(p, kind="stable")
    p, y, w = p[order], y[order], w[:, order]
    pos, neg = w * (y == 1), w * (y == 0)
    cum_neg = np.concatenate([np.zeros((len(w), 1)), np.cumsum(neg, axis=1)], axis=1)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(p)) + 1])
    ends = np.concatenate([starts[1:], [len(p)]])
    group = np.searchsorted(starts, np.arange(len(p)), side="right") - 1
    below = cum_neg[:, starts[group]]  # negatives scored strictly lower
    tied = cum_neg[:, ends[group]] - below
    n_pairs = pos.sum(1) * neg.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * tied)).sum(1) / n_pairs


def _weighted_mean_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mean ROC AUC over binary targets of each weight row (:func:`subspace.metrics.roc_auc`)."""
    return np.mean([_weighted_auc(y[:, k], p[:, k], w) for k in range(y.shape[1])], axis=0)


def _weighted_moments(y: np.ndarray, p: np.ndarray, w: np.ndarray, k: int):
    """Per weight row, of target k: the label and prediction means, their covariance and variances, and
    whether both vary (a resample can hold one value only)."""
    total = w.sum(1, keepdims=True)
    yc, pc = y[:, k] - y[:, k].mean(), p[:, k] - p[:, k].mean()  # centred once: less cancellation
    my, mp = (w @ yc)[:, None] / total, (w @ pc)[:, None] / total
    cov = (w @ (yc * pc))[:, None] / total - my * mp
    vy = (w @ (yc ** 2))[:, None] / total - my ** 2
    vp = (w @ (pc ** 2))[:, None] / total - mp ** 2
    vary_y, vary_p = vy > 1e-14 * max(1.0, float(np.var(yc))), vp > 1e-14 * max(1.0, float(np.var(pc)))
    return my + y[:, k].mean(), mp + p[:, k].mean(), cov, vy, vp, vary_y, vary_p


def _weighted_mean_ccc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mean CCC over targets of each weight row (:func:`subspace.metrics.mean_ccc`); NaN where the labels of a
    resample are constant."""
    out = []
    for k in range(y.shape[1]):
        mean_y, mean_p, cov, vy, vp, vary_y, _ = _weighted_moments(y, p, w, k)
        out.append(np.where(vary_y, 2 * cov / np.where(vary_y, vy + vp + (mean_y - mean_p) ** 2, 1.0), np.nan)[:, 0])
    return np.mean(out, axis=0)


def _weighted_class_metric(metric: str, y: np.ndarray, p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """UAR, macro-F1 or accuracy (:mod:`subspace.metrics`, scikit-learn's) of each weight row: a row's counts of
    each (true, predicted) class are the weighted sums of the samples', so no resample is materialised."""
    from .metrics import predicted_classes

    true, predicted = predicted_classes(y, p)
    out = []
    for k in range(true.shape[1]):
        t, q = true[:, k], predicted[:, k]
        total, hits = w.sum(1), w @ (t == q)
        if metric == "accuracy":
            out.append(hits / total)
            continue
        classes = np.union1d(t, q)
        n_true = np.stack([w @ (t == c) for c in classes], 1)  # (resamples, classes)
        n_pred = np.stack([w @ (q == c) for c in classes], 1)
        both = np.stack([w @ ((t == c) & (q == c)) for c in classes], 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if metric == "uar":  # recall over the classes present in the resample's labels
                per_class, present = both / n_true, n_true > 0
            else:  # F1 = 2 TP / (true + predicted) over the classes present in either
                per_class, present = 2 * both / (n_true + n_pred), (n_true + n_pred) > 0
            out.append(np.where(present, per_class, 0).sum(1) / present.sum(1))
    return np.mean(out, axis=0)


def _weighted_mean_pearson(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mean Pearson r over targets of each weight row; a constant prediction or label scores 0 (as
    :func:`subspace.metrics.mean_pearson`)."""
    rs = []
    for k in range(y.shape[1]):
        _, _, cov, vy, vp, vary_y, vary_p = _weighted_moments(y, p, w, k)
        ok = vary_y & vary_p
        rs.append(np.where(ok, cov / np.sqrt(np.where(ok, vy * vp, 1.0)), 0.0)[:, 0])
    return np.mean(rs, axis=0)


WEIGHTED = {"auc": _weighted_mean_auc, "pearson": _weighted_mean_pearson, "ccc": _weighted_mean_ccc}
CLASS_METRICS = ("uar", "macro_f1", "accuracy")


def resampled_scores(metric: str, labels, preds, idx: np.ndarray, units: np.ndarray | None = None,
                     chunk: int = 200) -> np.ndarray:
    """``metric`` (:mod:`subspace.metrics`) of one model on every resample: ``idx`` from
    :func:`bootstrap_indices`, ``units`` each row's unit index (None: rows are the units). ``preds`` as the
    metric takes them (multiclass: the class probabilities)."""
    if metric not in WEIGHTED and metric not in CLASS_METRICS:
        raise ValueError(f"no resampled form of metric '{metric}': use one of {list(WEIGHTED) + list(CLASS_METRICS)}")
    labels, preds = np.asarray(labels, float).reshape(len(labels), -1), np.asarray(preds, float).reshape(len(preds), -1)
    out = []
    for start in range(0, len(idx), chunk):  # bounded memory: (chunk, rows) weights
        w = row_weights(idx[start:start + chunk], units)
        out.append(WEIGHTED[metric](labels, preds, w) if metric in WEIGHTED
                   else _weighted_class_metric(metric, labels, preds, w))
    return np.concatenate(out)


def read_predictions(path, partition: str | None = None) -> tuple[pd.DataFrame, str]:
    """A model's predictions.csv restricted to the test partition (devel where test has no labels),
    sorted by sample id; and the partition used."""
    df = pd.read_csv(path, dtype={"sample_id": str, "group": str, "subject": str})  # Mimic ids: "00012"
    label_cols = [c for c in df.columns if c.startswith("label_")]
    if partition is None:
        test = df[df.partition == "test"]
        partition = "test" if len(test) and test[label_cols].notna().all().all() else "devel"
    return df[df.partition == partition].sort_values("sample_id").reset_index(drop=True), partition


def resampling_units(df: pd.DataFrame, unit: str, path) -> np.ndarray:
    """Each row's unit index (units numbered in sorted order of their names); ``sample``: every row is one."""
    if unit == "sample":
        return np.arange(len(df))
    if unit not in df.columns:
        raise InputError(path, f"has no `{unit}` column to resample")
    names = df[unit]
    missing = names.isna() | (names.str.strip() == "")
    if missing.any():
        raise InputError(path, f"{int(missing.sum())} rows have no `{unit}` (e.g. sample "
                               f"{df.sample_id[missing].iloc[0]}): every row needs one to resample whole {unit}s")
    return pd.factorize(names, sort=True)[0]


def paired_difference(metric: str, pairs: list[tuple[str, str]], n_resamples: int = N_RESAMPLES,
                      seed: int = BOOTSTRAP_SEED, unit: str = "group") -> dict:
    """``metric`` of model A minus model B on the same samples, averaged over seeds, with a percentile 95%
    confidence interval from a paired bootstrap that resamples ``unit`` (:data:`UNITS`).

    ``pairs`` holds one (A predictions.csv, B predictions.csv) per seed; every resample draws the same
    units for every model and seed, so the interval reflects which units were tested, not the seeds
    (their spread is reported separately). Files without a ``group`` column fall back to resampling
    rows (``unit`` in the result says which was used; ``requested_unit`` what was asked). With a single
    unit there is no interval (``low`` and ``high`` are NaN)."""
    if unit not in UNITS:
        raise ValueError(f"unknown bootstrap unit '{unit}': use one of {list(UNITS)}")
    frames, partition = [], None
    for a_path, b_path in pairs:
        a, partition = read_predictions(a_path, partition)
        b, _ = read_predictions(b_path, partition)
        frames += [(a_path, a), (b_path, b)]
    for path, df in frames[1:]:  # paired: every model and seed on the same samples
        if not df.sample_id.equals(frames[0][1].sample_id):
            raise InputError(path, f"predicts other {partition} samples than {frames[0][0]}")
    # one unit labelling for all files: the draws must mean the same rows for every model and seed; files
    # written before predictions had a `group` column fall back to the rows
    used = "sample" if any("group" not in df.columns for _, df in frames) else unit
    units = None
    for path, df in frames:
        codes = resampling_units(df, used, path)
        if units is None:
            units, first = codes, path
        elif not np.array_equal(codes, units):
            raise InputError(path, f"its `{used}` column groups the {partition} samples differently from {first}")
    idx = bootstrap_indices(int(units.max()) + 1, n_resamples, seed)
    deltas, point = [], []
    for (_, a), (_, b) in zip(frames[::2], frames[1::2]):
        (y, pa), (_, pb) = prediction_arrays(a), prediction_arrays(b)
        all_rows = np.arange(len(a))[None, :]
        point.append(resampled_scores(metric, y, pa, all_rows)[0] - resampled_scores(metric, y, pb, all_rows)[0])
        deltas.append(resampled_scores(metric, y, pa, idx, units) - resampled_scores(metric, y, pb, idx, units))
    boot = np.mean(deltas, axis=0)
    # one unit: every resample is the test set itself, so a "95% interval" would be the point estimate
    low, high = np.nanpercentile(boot, [2.5, 97.5]) if units.max() > 0 else (np.nan, np.nan)
    return {"delta": float(np.mean(point)), "low": float(low), "high": float(high), "partition": partition,
            "n_samples": len(units), "n_seeds": len(pairs), "unit": used, "requested_unit": unit,
            "n_units": int(units.max()) + 1, "undefined_resamples": int(np.isnan(boot).sum()),
            "n_resamples": n_resamples}
