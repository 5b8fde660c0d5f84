"""Statistical rankings: per-dimension scores from window statistics of the training samples, no decoder.

Each sample is summarised per dimension by the mean and the std over its valid rows, read from the raw
store. Every score is invariant to a dimension's scale (AUC, |r| and mutual information by construction;
the L1 model standardises its inputs), so normalisation does not change them.

Speed (issue 22 item 5: 965 s for these four on 23,176 one-row MiniLM samples): the scores are exactly
scikit-learn's, computed faster. AUCs come from one rank transform of all columns instead of a
``roc_auc_score`` per column; mutual information is scikit-learn's k-NN estimator (the same scaling, the
same seeded noise, the same neighbour counts) with the 1-d neighbour counts from sorted arrays instead
of a KD-tree per column; the Lasso is ``LassoCV``'s choice along exact LARS paths instead of coordinate
descent; and a statistic that is constant over the samples (the window std of one-row samples) is not
passed to the estimators at all: it carries no information and scores 0.
"""
from __future__ import annotations

import numpy as np

STATISTICAL_METHODS = ("mean_score", "std_score", "mutual_info", "l1_linear")
MI_NEIGHBOURS = 3  # scikit-learn's default n_neighbors


def window_statistics(sequences: list[np.ndarray]) -> np.ndarray:
    """(samples, 2 * dim): each sample's per-dimension mean over its rows, then its per-dimension std."""
    if not sequences:
        raise ValueError("no sequences")
    if len({len(s) for s in sequences}) == 1:  # one row per sample, or fixed windows: one array operation
        stacked = np.stack(sequences)
        return np.concatenate([stacked.mean(1), stacked.std(1)], axis=1).astype(np.float64)
    return np.array([np.concatenate([s.mean(0), s.std(0)]) for s in sequences], dtype=np.float64)


def constant_columns(x: np.ndarray) -> np.ndarray:
    """Columns with one value in every row (e.g. the window std of one-row samples): no information."""
    return (x == x[:1]).all(0)


def binary_aucs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ROC AUC of every column of ``x`` against 0/1 labels ``y`` (ties count one half, as scikit-learn):
    the Mann-Whitney U from one rank transform of all columns."""
    from scipy.stats import rankdata

    positive = y == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        raise ValueError("the AUC needs both classes among the training labels")
    rank_sum = rankdata(x, axis=0)[positive].sum(0)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def class_indicators(labels: np.ndarray, task_type: str) -> np.ndarray:
    """(samples, problems) 0/1 columns of the binary problems a class task poses: each binary target, or each
    multiclass class against the rest (the classes present)."""
    labels = np.asarray(labels, dtype=float).reshape(len(labels), -1)
    if task_type == "multiclass":
        return (labels[:, :1] == np.unique(labels[:, 0])[None, :]).astype(int)
    return labels.astype(int)


def univariate_scores(x: np.ndarray, labels: np.ndarray, task_type: str) -> np.ndarray:
    """Per column of ``x``: |AUC - 0.5| against each binary label (multiclass: each class against the rest),
    or |Pearson r| (regression), averaged over the targets or classes. Direction-free: a dimension that falls
    with the label counts like one that rises."""
    from sklearn.feature_selection import r_regression

    labels = np.asarray(labels, dtype=float).reshape(len(x), -1)
    if task_type in ("binary", "multiclass"):
        problems = class_indicators(labels, task_type)
        return np.mean([np.abs(binary_aucs(x, y) - 0.5) for y in problems.T], axis=0)
    varies = x.std(0) > 0  # a constant column has no correlation: 0
    scores = np.zeros(x.shape[1])
    if varies.any():
        scores[varies] = np.mean([np.abs(r_regression(x[:, varies], labels[:, t]))
                                  for t in range(labels.shape[1])], axis=0)
    return scores


def _count_closer(sorted_values: np.ndarray, centres: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Per centre: how many values lie strictly closer than its radius, |value - centre| < radius, with
    the float subtraction a KD-tree uses (scikit-learn counts distances <= nextafter(radius, 0))."""
    v, n = sorted_values, len(sorted_values)

    def inside(j):
        return (j >= 0) & (j < n) & (np.abs(v[np.clip(j, 0, n - 1)] - centres) < radius)

    # centre +- radius is rounded: move each end until it obeys the exact test (a step or two at most)
    hi = np.searchsorted(v, centres + radius, "left")
    while (step := inside(hi)).any():
        hi = hi + step
    while (step := (hi > 0) & ~inside(hi - 1)).any():
        hi = hi - step
    lo = np.searchsorted(v, centres - radius, "right")
    while (step := inside(lo - 1)).any():
        lo = lo - step
    while (step := (lo < n) & ~inside(lo)).any():
        lo = lo + step
    return hi - lo


def _kth_neighbour_1d(sorted_values: np.ndarray, k: int) -> np.ndarray:
    """Distance of every sorted value to its k-th nearest other value: among the k on either side."""
    m = len(sorted_values)
    candidates = np.full((m, 2 * k), np.inf)
    for offset in range(1, k + 1):
        gap = sorted_values[offset:] - sorted_values[:-offset]
        candidates[offset:, offset - 1] = gap        # to the offset-th lower value
        candidates[:-offset, k + offset - 1] = gap   # to the offset-th higher value
    return np.sort(candidates, axis=1)[:, k - 1]


def _mi_continuous(x: np.ndarray, y: np.ndarray, y_order: np.ndarray, k: int, workers: int = 1) -> float:
    """Kraskov et al.'s estimator as scikit-learn's ``_compute_mi_cc``: the k-th neighbour in the joint
    space (max norm) sets each sample's radius; count the samples closer than it in x and in y alone.
    ``y_order`` sorts y (once per target); the counts go in sorted order (2x faster lookups)."""
    from scipy.spatial import cKDTree
    from scipy.special import digamma

    joint = np.column_stack([x, y])
    tree = cKDTree(joint, balanced_tree=False, compact_nodes=False)  # ~40% faster to build, as fast to query
    radius = tree.query(joint, k=[k + 1], p=np.inf, workers=workers)[0][:, 0]  # neighbour 1: the sample itself
    x_order = np.argsort(x, kind="stable")
    nx = _count_closer(x[x_order], x[x_order], radius[x_order])  # both counts include the sample itself
    ny = _count_closer(y[y_order], y[y_order], radius[y_order])
    mi = digamma(len(x)) + digamma(k) - digamma(nx).mean() - digamma(ny).mean()
    return max(0.0, float(mi))


def _mi_discrete(x: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Ross's estimator as scikit-learn's ``_compute_mi_cd``: the k-th neighbour within the sample's class
    sets its radius; count all samples closer than it."""
    from scipy.special import digamma

    radius, k_used, class_size = np.empty(len(x)), np.empty(len(x)), np.empty(len(x))
    for label in np.unique(labels):
        mask = labels == label
        class_size[mask] = mask.sum()
        if mask.sum() > 1:
            k_label = min(k, int(mask.sum()) - 1)
            order = np.argsort(x[mask], kind="stable")
            r = np.empty(mask.sum())
            r[order] = _kth_neighbour_1d(x[mask][order], k_label)
            radius[mask], k_used[mask] = r, k_label
    keep = class_size > 1  # a class of one sample has no neighbour
    order = np.argsort(x[keep], kind="stable")
    counts = _count_closer(x[keep][order], x[keep][order], radius[keep][order])  # sorted centres: faster
    mi = (digamma(keep.sum()) + digamma(k_used[keep]).mean() - digamma(class_size[keep]).mean()
          - digamma(counts).mean())
    return max(0.0, float(mi))


def knn_mutual_info(x: np.ndarray, target: np.ndarray, discrete_target: bool, seed: int,
                    k: int = MI_NEIGHBOURS, workers: int = 1) -> np.ndarray:
    """Per column of ``x``: scikit-learn's ``mutual_info_classif`` (``discrete_target``) or
    ``mutual_info_regression`` with ``random_state=seed``: the same numbers (the same scaling, seeded
    tie-breaking noise and neighbour counts), except that a constant column scores exactly 0 instead of
    the MI of that noise. (For a class of fewer than 2k + 2 samples scikit-learn measures distances by
    brute force, rounded differently: its MI can then differ in the 5th digit.)"""
    from sklearn.preprocessing import scale

    x = np.asarray(x, dtype=np.float64)
    informative = ~constant_columns(x)
    rng = np.random.RandomState(seed)  # scikit-learn's check_random_state(seed)
    x = scale(x, with_mean=False)
    x += 1e-10 * np.maximum(1, np.mean(np.abs(x), axis=0)) * rng.standard_normal(size=x.shape)
    x = np.asfortranarray(x)  # one column at a time below
    mi = np.zeros(x.shape[1])
    if discrete_target:
        for j in np.flatnonzero(informative):
            mi[j] = _mi_discrete(x[:, j], np.asarray(target), k)
        return mi
    y = scale(np.asarray(target, dtype=np.float64), with_mean=False)
    y = y + 1e-10 * max(1, np.mean(np.abs(y))) * rng.standard_normal(size=len(y))
    y_order = np.argsort(y, kind="stable")
    for j in np.flatnonzero(informative):
        mi[j] = _mi_continuous(x[:, j], y, y_order, k, workers)
    return mi


def mutual_info_scores(stats: np.ndarray, labels: np.ndarray, task_type: str, seed: int,
                       workers: int = 1) -> np.ndarray:
    """Per dimension: mutual information (scikit-learn's k-NN estimator, seeded) of its window mean
    plus that of its window std with the label (the class, for multiclass); averaged over targets."""
    labels = np.asarray(labels, dtype=float).reshape(len(stats), -1)
    if task_type in ("binary", "multiclass"):
        mi = np.mean([knn_mutual_info(stats, labels[:, t].astype(int), True, seed) for t in range(labels.shape[1])],
                     axis=0)
    else:
        mi = np.mean([knn_mutual_info(stats, labels[:, t], False, seed, workers=workers)
                      for t in range(labels.shape[1])], axis=0)
    dim = stats.shape[1] // 2
    return mi[:dim] + mi[dim:]


def _lasso_on_grid(xc: np.ndarray, yc: np.ndarray, gram: np.ndarray, alphas) -> np.ndarray:
    """(features, alphas) Lasso coefficients of centred data at each alpha: the exact LARS path (down to the
    smallest alpha), which is linear between its breakpoints."""
    from sklearn.linear_model import lars_path

    alphas = np.asarray(alphas, dtype=float)
    path_alphas, _, path = lars_path(xc, yc, Xy=xc.T @ yc, Gram=gram, method="lasso", alpha_min=alphas.min())
    if len(path_alphas) == 1:  # every alpha is above this data's largest: all coefficients 0
        return np.zeros((xc.shape[1], len(alphas)))
    rising, coefs = path_alphas[::-1], path[:, ::-1]
    upper = np.clip(np.searchsorted(rising, alphas), 1, len(rising) - 1)
    lo, hi = rising[upper - 1], rising[upper]
    share = np.clip((alphas - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)  # above the path: its first, 0
    return coefs[:, upper - 1] * (1 - share) + coefs[:, upper] * share


def lasso_cv(x: np.ndarray, targets: np.ndarray, folds: int = 5, n_alphas: int = 100,
             eps: float = 1e-3) -> np.ndarray:
    """(targets, features) coefficients of scikit-learn's ``LassoCV(cv=folds)`` for each target: the same
    alpha grid (from the full data), the same contiguous folds and the same CV mean squared error, but every
    path from LARS instead of coordinate descent, which on correlated embeddings needed ~10x the time (the
    coefficients agree to its tolerance; a fold's Gram matrix serves every target)."""
    from sklearn.model_selection import KFold

    targets = np.asarray(targets, dtype=float).reshape(len(x), -1)
    xc, yc = x - x.mean(0), targets - targets.mean(0)
    grids = [np.geomspace(top, top * eps, n_alphas) for top in np.abs(xc.T @ yc).max(0) / len(x)]
    mse = np.zeros((targets.shape[1], n_alphas))
    for train, test in KFold(folds).split(x):
        x_mean = x[train].mean(0)
        x_train = x[train] - x_mean
        gram = x_train.T @ x_train
        for t, grid in enumerate(grids):
            y_mean = targets[train, t].mean()
            coefs = _lasso_on_grid(x_train, targets[train, t] - y_mean, gram, grid)
            mse[t] += (((x[test] - x_mean) @ coefs + y_mean - targets[test, t][:, None]) ** 2).mean(0)
    gram = xc.T @ xc
    return np.array([_lasso_on_grid(xc, yc[:, t], gram, [grid[np.argmin(mse[t])]])[:, 0]
                     for t, grid in enumerate(grids)])


def l1_linear_scores(stats: np.ndarray, labels: np.ndarray, task_type: str, seed: int,
                     threads: int = 1) -> np.ndarray:
    """Per dimension: |coefficient| of its window mean plus that of its window std in an L1-regularised
    linear model on the standardised statistics (logistic regression per binary target or per class against
    the rest, Lasso per target; averaged), with the regularisation strength chosen by 5-fold cross-validation.
    Dimensions the model drops score 0. Constant statistics are left out of the model (they would get 0:
    standardised, they are all zeros).

    The Lasso is scikit-learn's ``LassoCV`` computed along LARS paths (:func:`lasso_cv`)."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.preprocessing import StandardScaler

    informative = ~constant_columns(stats)
    full = np.zeros(stats.shape[1])
    if not informative.any():
        return full[: stats.shape[1] // 2]
    x = StandardScaler().fit_transform(stats[:, informative])
    labels = np.asarray(labels, dtype=float).reshape(len(stats), -1)
    if task_type in ("binary", "multiclass"):
        model = LogisticRegressionCV(Cs=10, l1_ratios=(1.0,), solver="liblinear", cv=5, scoring="roc_auc",
                                     max_iter=1000, random_state=seed, use_legacy_attributes=False, n_jobs=threads)
        coef = np.mean([np.abs(model.fit(x, y).coef_).reshape(-1) for y in class_indicators(labels, task_type).T],
                       axis=0)
    else:
        coef = np.abs(lasso_cv(x, labels)).mean(0)
    full[informative] = coef
    dim = stats.shape[1] // 2
    return full[:dim] + full[dim:]


def statistical_scores(method: str, sequences: list[np.ndarray], labels: np.ndarray, task_type: str,
                       seed: int = 0, threads: int = 1) -> np.ndarray:
    """Per-dimension scores of a statistical ranking (``STATISTICAL_METHODS``) from training samples
    (``threads``: for the nearest-neighbour searches of mutual information and the folds of the L1
    logistic regression; the scores do not depend on it)."""
    if method not in STATISTICAL_METHODS:
        raise ValueError(f"unknown statistical method '{method}': use one of {list(STATISTICAL_METHODS)}")
    stats = window_statistics(sequences)
    dim = stats.shape[1] // 2
    if method == "mean_score":
        return univariate_scores(stats[:, :dim], labels, task_type)
    if method == "std_score":
        return univariate_scores(stats[:, dim:], labels, task_type)
    if method == "mutual_info":
        return mutual_info_scores(stats, labels, task_type, seed, threads)
    return l1_linear_scores(stats, labels, task_type, seed, threads)
