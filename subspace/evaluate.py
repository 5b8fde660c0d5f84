"""Evaluation beyond the paper: top-k sweeps against a random control and other attribution
methods, and the stability of the selected sub-space across seeds.

Rankings score every input dimension; ``top_k`` keeps the k best. Gradient methods (captum
``Saliency`` and ``InputXGradient``) are aggregated like Integrated Gradients in
:mod:`subspace.attribute`: mean of |attribution| over every training sample's valid time steps,
per output, then averaged over outputs.
"""
from __future__ import annotations

import itertools
import logging

import numpy as np

log = logging.getLogger(__name__)

# torch and captum are imported where they are used, so the table/figure steps (plot environment,
# no torch) can use the set arithmetic here.
METHODS = ("ig", "random", "saliency", "input_x_gradient")
GRADIENT_METHODS = ("saliency", "input_x_gradient")


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
                          batch_size: int = 128) -> dict[str, np.ndarray]:
    """Per-dimension mean |attribution| of a captum gradient method over all valid time steps.

    ``method`` is ``saliency`` (|d output / d input|) or ``input_x_gradient`` (input * gradient).
    Each output is attributed separately; ``mean`` averages the per-output means (Mimic's rule).
    """
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
    for _, x, lengths, valid in padded_batches(sequences, batch_size):
        for k in range(n_targets):
            kwargs = {"abs": True} if method == "saliency" else {}
            attr = explainer.attribute(x.requires_grad_(), target=k, additional_forward_args=(lengths,), **kwargs)
            sums[k] += np.abs(attr.detach().numpy()[valid]).sum(0)
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
