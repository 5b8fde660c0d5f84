"""Evaluation beyond the paper: top-k sweeps against a random control and other attribution
methods, and the stability of the selected sub-space across seeds.

Rankings score every input dimension; ``top_k`` keeps the k best. Gradient methods (captum
``Saliency`` and ``InputXGradient``) are aggregated like Integrated Gradients in
:mod:`subspace.attribute`: mean of |attribution| over every training sample's valid time steps,
per output, then averaged over outputs.

Statistical rankings need no trained decoder: they score each dimension from window statistics of
the training samples (per sample, the mean and the std of each dimension over its valid rows), read
from the raw store. All of them are invariant to a dimension's scale (AUC, |r| and mutual
information by construction; the L1 model standardises its inputs), so normalisation does not
change them.
"""
from __future__ import annotations

import itertools
import logging

import numpy as np

log = logging.getLogger(__name__)

# torch and captum are imported where they are used, so the table/figure steps (plot environment,
# no torch) can use the set arithmetic here.
METHODS = ("ig", "random", "saliency", "input_x_gradient", "mean_score", "std_score", "mutual_info", "l1_linear")
GRADIENT_METHODS = ("saliency", "input_x_gradient")
STATISTICAL_METHODS = ("mean_score", "std_score", "mutual_info", "l1_linear")
# IG multiplies the gradient by the input: dimensions on a 100x larger scale get ~100x the attribution
SCALE_RATIO_LIMIT = 100.0


def resolve_k(k: float | int, dim: int) -> int:
    """A k from the config as a number of dimensions: a fraction in (0, 1) of ``dim``, rounded (at
    least 1), or an absolute count >= 1 (at most ``dim``)."""
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise ValueError(f"k must be a number, got {k!r}")
    if 0 < k < 1:
        return max(1, int(round(k * dim)))
    if k >= 1 and float(k).is_integer():
        if k > dim:
            raise ValueError(f"k = {int(k)} is larger than the {dim} dimensions")
        return int(k)
    raise ValueError(f"k must be a fraction in (0, 1) or a whole count >= 1, got {k!r}")


def rank_order(scores) -> np.ndarray:
    """Dimension indices by decreasing score; ties keep the lower index first (stable)."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1 or not np.isfinite(scores).all():
        raise ValueError("scores must be a finite 1-d array")
    return np.argsort(-scores, kind="stable")


def top_k(scores, k: int) -> np.ndarray:
    """Indices (ascending) of the k highest-scoring dimensions."""
    return np.asarray(selected_by_order(rank_order(scores), k))


def random_order(dim: int, seed: int) -> np.ndarray:
    """A fixed-seed permutation of the dimensions: the random control's 'ranking'. Its first k are a
    uniformly random k-subset, and the subsets for growing k are nested like the top-k ones."""
    return np.random.default_rng(seed).permutation(dim)


def random_dims(dim: int, k: int, seed: int) -> np.ndarray:
    """Indices (ascending) of k dimensions chosen at random with a fixed seed."""
    return np.asarray(selected_by_order(random_order(dim, seed), k))


def gradient_attributions(model, sequences: list[np.ndarray], method: str,
                          batch_size: int = 128, device="cpu") -> dict[str, np.ndarray]:
    """Per-dimension mean |attribution| of a captum gradient method over all valid time steps.

    ``method`` is ``saliency`` (|d output / d input|) or ``input_x_gradient`` (input * gradient).
    Each output is attributed separately; ``mean`` averages the per-output means (Mimic's rule).
    """
    import torch
    from captum.attr import InputXGradient, Saliency

    from .attribute import padded_batches

    if method not in GRADIENT_METHODS:
        raise ValueError(f"unknown gradient method '{method}': use one of {list(GRADIENT_METHODS)}")
    if not sequences:
        raise ValueError("no sequences to attribute")
    model.eval()
    explainer = (Saliency if method == "saliency" else InputXGradient)(model)
    n_targets, dim = model.cfg.n_targets, sequences[0].shape[1]
    sums = np.zeros((n_targets, dim))
    n_cells = 0
    model = model.to(device)
    for _, x, lengths, valid in padded_batches(sequences, batch_size, device):
        for k in range(n_targets):
            kwargs = {"abs": True} if method == "saliency" else {}
            with torch.backends.cudnn.flags(enabled=False):  # cuDNN's GRU has no backward in eval() mode
                attr = explainer.attribute(x.requires_grad_(), target=k, additional_forward_args=(lengths,), **kwargs)
            sums[k] += np.abs(attr.detach().cpu().numpy()[valid]).sum(0)
        n_cells += int(valid.sum())
    per_target = sums / n_cells
    return {"mean": per_target.mean(0), "mean_per_target": per_target}


def jaccard(a, b) -> float:
    """|A ∩ B| / |A ∪ B| of two index sets; two empty sets are identical (1.0)."""
    a, b = set(map(int, a)), set(map(int, b))
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def pairwise_jaccard(sets: list) -> dict:
    """Jaccard of every pair of sets: the values and their mean, std and min."""
    if len(sets) < 2:
        raise ValueError(f"need at least 2 sets to compare, got {len(sets)}")
    values = [jaccard(a, b) for a, b in itertools.combinations(sets, 2)]
    return {"pairs": values, "mean": float(np.mean(values)), "std": float(np.std(values)),
            "min": float(np.min(values)), "n_pairs": len(values)}


def ranking_record(method: str, scores=None, order=None) -> dict:
    """One method's entry in a rankings file: its per-dimension scores (None for random) and the
    dimension order it implies."""
    if order is None:
        order = rank_order(scores)
    return {"method": method, "scores": None if scores is None else [float(v) for v in scores],
            "order": [int(i) for i in order]}


def selected_by_order(order, k: int) -> list[int]:
    """The first k dimensions of a ranking, ascending (what a reduced decoder is trained on)."""
    order = list(map(int, order))
    if not 1 <= k <= len(order):
        raise ValueError(f"k must be in 1..{len(order)}, got {k}")
    return sorted(order[:k])


def window_statistics(sequences: list[np.ndarray]) -> np.ndarray:
    """(samples, 2 * dim): each sample's per-dimension mean over its rows, then its per-dimension std."""
    if not sequences:
        raise ValueError("no sequences")
    return np.array([np.concatenate([s.mean(0), s.std(0)]) for s in sequences], dtype=np.float64)


def univariate_scores(x: np.ndarray, labels: np.ndarray, task_type: str) -> np.ndarray:
    """Per column of ``x``: |AUC - 0.5| against the binary label, or |Pearson r| averaged over the
    targets (regression). Direction-free: a dimension that falls with the label counts like one that rises."""
    from sklearn.feature_selection import r_regression
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels, dtype=float).reshape(len(x), -1)
    if task_type == "binary":
        y = labels[:, 0]
        return np.array([abs(roc_auc_score(y, x[:, j]) - 0.5) for j in range(x.shape[1])])
    varies = x.std(0) > 0  # a constant column has no correlation: 0
    scores = np.zeros(x.shape[1])
    if varies.any():
        scores[varies] = np.mean([np.abs(r_regression(x[:, varies], labels[:, t]))
                                  for t in range(labels.shape[1])], axis=0)
    return scores


def mutual_info_scores(stats: np.ndarray, labels: np.ndarray, task_type: str, seed: int) -> np.ndarray:
    """Per dimension: mutual information (scikit-learn's k-NN estimator, seeded) of its window mean
    plus that of its window std with the label; averaged over targets for regression."""
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    labels = np.asarray(labels, dtype=float).reshape(len(stats), -1)
    if task_type == "binary":
        mi = mutual_info_classif(stats, labels[:, 0].astype(int), random_state=seed)
    else:
        mi = np.mean([mutual_info_regression(stats, labels[:, t], random_state=seed)
                      for t in range(labels.shape[1])], axis=0)
    dim = stats.shape[1] // 2
    return mi[:dim] + mi[dim:]


def l1_linear_scores(stats: np.ndarray, labels: np.ndarray, task_type: str, seed: int) -> np.ndarray:
    """Per dimension: |coefficient| of its window mean plus that of its window std in an L1-regularised
    linear model on the standardised statistics (logistic regression for binary labels, Lasso per target
    averaged for regression), with the regularisation strength chosen by 5-fold cross-validation.
    Dimensions the model drops score 0 (ties: the lower index ranks first)."""
    from sklearn.linear_model import LassoCV, LogisticRegressionCV
    from sklearn.preprocessing import StandardScaler

    x = StandardScaler().fit_transform(stats)
    labels = np.asarray(labels, dtype=float).reshape(len(stats), -1)
    if task_type == "binary":
        model = LogisticRegressionCV(Cs=10, l1_ratios=(1.0,), solver="liblinear", cv=5, scoring="roc_auc",
                                     max_iter=1000, random_state=seed, use_legacy_attributes=False)
        coef = np.abs(model.fit(x, labels[:, 0].astype(int)).coef_).reshape(-1)
    else:
        coef = np.mean([np.abs(LassoCV(cv=5, random_state=seed, max_iter=5000).fit(x, labels[:, t]).coef_)
                        for t in range(labels.shape[1])], axis=0)
    dim = stats.shape[1] // 2
    return coef[:dim] + coef[dim:]


def statistical_scores(method: str, sequences: list[np.ndarray], labels: np.ndarray, task_type: str,
                       seed: int = 0) -> np.ndarray:
    """Per-dimension scores of a statistical ranking (``STATISTICAL_METHODS``) from training samples."""
    if method not in STATISTICAL_METHODS:
        raise ValueError(f"unknown statistical method '{method}': use one of {list(STATISTICAL_METHODS)}")
    stats = window_statistics(sequences)
    dim = stats.shape[1] // 2
    if method == "mean_score":
        return univariate_scores(stats[:, :dim], labels, task_type)
    if method == "std_score":
        return univariate_scores(stats[:, dim:], labels, task_type)
    if method == "mutual_info":
        return mutual_info_scores(stats, labels, task_type, seed)
    return l1_linear_scores(stats, labels, task_type, seed)


def input_scale(sequences: list[np.ndarray], limit: float = SCALE_RATIO_LIMIT) -> dict:
    """The spread of the per-dimension std over all rows of the inputs a decoder sees, and a warning
    when the largest std is more than ``limit`` times the smallest non-zero one: IG multiplies the
    gradient by the input, so it favours large-scale dimensions whatever they carry. Normalised
    inputs (``normalise: true``) have unit std and never warn."""
    # merged per sequence (Chan et al.): exact, without a float64 copy of every row (MuSe: ~10^5 x 1024)
    n, mean, m2 = 0, 0.0, 0.0
    for seq in sequences:
        seq = np.asarray(seq, dtype=np.float64)
        if not len(seq):
            continue
        n_b, mean_b = len(seq), seq.mean(0)
        delta, total = mean_b - mean, n + n_b
        mean = mean + delta * n_b / total
        m2 = m2 + ((seq - mean_b) ** 2).sum(0) + delta ** 2 * n * n_b / total
        n = total
    std = np.sqrt(m2 / n)
    nonzero = std[std > 1e-12]
    lo, hi = (float(nonzero.min()), float(nonzero.max())) if len(nonzero) else (0.0, 0.0)
    ratio = hi / lo if lo > 0 else 1.0
    warning = ""
    if ratio > limit:
        warning = (f"the per-dimension std of the training rows spans {ratio:.0f}x ({lo:.3g} to {hi:.3g}) and the "
                   f"inputs are not normalised: Integrated Gradients multiplies by the input, so large-scale "
                   f"dimensions dominate the attribution whatever they carry; consider `normalise: true`")
    return {"input_std_min": lo, "input_std_max": hi, "input_std_ratio": float(ratio), "scale_warning": warning}
