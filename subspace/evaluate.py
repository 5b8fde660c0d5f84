"""Evaluation beyond the paper: top-k sweeps against a random control and other attribution
methods, and the stability of the selected sub-space across seeds.

Rankings score every input dimension; ``top_k`` keeps the k best. Gradient methods (captum
``Saliency`` and ``InputXGradient``) are aggregated like Integrated Gradients in
:mod:`subspace.attribute`: mean of |attribution| over every training sample's valid time steps,
per output, then averaged over outputs.

Statistical rankings (:mod:`subspace.statistical`) need no trained decoder: they score each dimension
from window statistics of the training samples, read from the raw store. :func:`compute_rankings` is
the ``rank`` step, :func:`topk_sweep` a ``topk-train`` job.
"""
from __future__ import annotations

import itertools
import logging
import time

import numpy as np

from .config.model import RANKINGS

from .statistical import statistical_scores

log = logging.getLogger(__name__)

# torch and captum are imported where they are used, so the table/figure steps (plot environment,
# no torch) can use the set arithmetic here.
METHODS = RANKINGS  # the config model lists them once (evaluation.methods)
GRADIENT_METHODS = ("saliency", "input_x_gradient")
# IG multiplies the gradient by the input: dimensions on a 100x larger scale get ~100x the attribution
SCALE_RATIO_LIMIT = 100.0
# a dimension whose std is at most this share of its level (|mean|, or the median std of all dimensions when
# that is larger) is near-constant: rounding noise or a dead unit, not a small-scale signal
NEAR_CONSTANT = 1e-4


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


def gradient_attributions(model, sequences: list[np.ndarray], method: str, batch_size: int = 128, device="cpu",
                          labels=None, multiclass: str = "labelled") -> dict[str, np.ndarray]:
    """Per-dimension mean |attribution| of a captum gradient method over all valid time steps.

    ``method`` is ``saliency`` (|d output / d input|) or ``input_x_gradient`` (input * gradient).
    Each output is attributed separately; ``mean`` averages the per-output means (Mimic's rule). A multiclass
    decoder explains what IG explained (``multiclass``, :mod:`subspace.attribute`): each sample's labelled class
    (``labels``; ``mean`` pools all cells, ``mean_per_target`` is per class) or every class.
    """
    import torch
    from captum.attr import InputXGradient, Saliency

    from .attribute import explains_labelled_class, padded_batches

    if method not in GRADIENT_METHODS:
        raise ValueError(f"unknown gradient method '{method}': use one of {list(GRADIENT_METHODS)}")
    if not sequences:
        raise ValueError("no sequences to attribute")
    model.eval()
    labelled = explains_labelled_class(model, multiclass)
    explainer = (Saliency if method == "saliency" else InputXGradient)(model)
    n_targets, dim = model.cfg.n_targets, sequences[0].shape[1]
    sums, n_cells = np.zeros((n_targets, dim)), np.zeros(n_targets)
    model = model.to(device)
    kwargs = {"abs": True} if method == "saliency" else {}

    def attribution(x, lengths, target):
        with torch.backends.cudnn.flags(enabled=False):  # cuDNN's GRU has no backward in eval() mode
            attr = explainer.attribute(x.requires_grad_(), target=target, additional_forward_args=(lengths,), **kwargs)
        return np.abs(attr.detach().cpu().numpy())

    for idx, x, lengths, valid in padded_batches(sequences, batch_size, device):
        if labelled:
            classes = np.asarray(labels, dtype=np.int64).reshape(len(sequences), -1)[idx, 0]
            attr = attribution(x, lengths, torch.from_numpy(classes))
            for c in np.unique(classes):
                mine = classes == c
                sums[c] += attr[mine][valid[mine]].sum(0)
                n_cells[c] += valid[mine].sum()
            continue
        for k in range(n_targets):
            sums[k] += attribution(x, lengths, k)[valid].sum(0)
            n_cells[k] += valid.sum()
    with np.errstate(invalid="ignore", divide="ignore"):  # a class without training samples: NaN
        per_target = sums / n_cells[:, None]
    mean = sums.sum(0) / n_cells.sum() if labelled else per_target.mean(0)
    return {"mean": mean, "mean_per_target": per_target}


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


def degenerate_ranking(scores, why_constant: str = "") -> str:
    """Why ``scores`` rank nothing (every dimension scores the same, so a top k would be dimensions 0..k-1 in
    index order), or "" when they do rank the dimensions."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) and (scores == scores[0]).all():
        return (f"every one of the {len(scores)} dimensions scores {scores[0]:.3g}{why_constant}: its top k would be "
                f"dimensions 0..k-1 in index order, not a ranking; left out")
    return ""


def tied_at_cut(scores, order, k: int) -> dict | None:
    """Where the k-th and the (k+1)-th ranked dimensions tie, the top k takes some of the tied dimensions
    in index order: how many it took (``by_index``), of how many tied (``tied``), at which score; else None."""
    if scores is None or k >= len(order):
        return None
    scores = np.asarray(scores, dtype=float)
    edge = scores[order[k - 1]]
    if scores[order[k]] != edge:
        return None
    return {"by_index": int((scores[np.asarray(order[:k])] == edge).sum()), "tied": int((scores == edge).sum()),
            "score": float(edge)}


def compute_rankings(raw, ig: dict, methods: list[str], task_type: str, random_seed: int = 0,
                     batch_size: int = 128, threads: int = 1, device="cpu",
                     paths: tuple[str, str] = ("embeddings", "attributions")) -> dict:
    """The rankings file of one feature: every requested method's scores and dimension order.

    ``raw``: the feature's store (training samples are used); ``ig``: its attribution file as read by
    :func:`subspace.store.read_attributions` (Saliency and Input x Gradient explain the same decoder,
    on the inputs it saw). A ranking whose scores are all equal ranks nothing: it is left out, with the
    reason in its entry (``left_out``; ``order`` None) and in the log, never a silent index order.
    ``paths``: the store and the attribution file, to name them in errors."""
    from .errors import InputError

    unknown = set(methods) - set(METHODS)
    if unknown:
        raise InputError(paths[1], f"unknown ranking methods {sorted(unknown)}: use {list(METHODS)}")
    dim = len(ig["mean"])
    if raw.dim != dim:
        raise InputError(paths[0], f"{raw.dim} dimensions, but {paths[1]} has {dim}")
    train = raw.subset("train")
    one_row = all(len(s) == 1 for s in train.sequences)
    rankings, explained = {}, None
    for method in methods:
        start = time.perf_counter()
        extra = {}
        if method == "ig":
            scores = np.asarray(ig["mean"])
        elif method == "random":
            rankings[method] = ranking_record(method, order=random_order(dim, random_seed))
            continue
        elif method in GRADIENT_METHODS:
            explained = explained or _explained_decoder(raw, ig, threads)
            model, sequences, labels = explained
            stats = gradient_attributions(model, sequences, method, batch_size, device, labels,
                                          ig["attrs"].get("multiclass") or "labelled")
            scores, extra = stats["mean"], {"mean_per_target": stats["mean_per_target"].tolist()}
        elif method == "std_score" and one_row:  # nothing to compute: the window std of one row is 0
            scores = np.zeros(dim)
        else:
            scores = statistical_scores(method, train.sequences, train.labels, task_type, random_seed, threads)
        why = " (every training sample has one row, so no window std)" if method == "std_score" and one_row else ""
        reason = degenerate_ranking(scores, why)
        if reason:
            log.warning("%s ranking: %s", method, reason)
            rankings[method] = {"method": method, "scores": [float(v) for v in scores], "order": None,
                                "left_out": reason}
            continue
        rankings[method] = {**ranking_record(method, scores=scores), **extra}
        if method != "ig":
            log.info("%s over %d training samples in %.1f s", method, len(train.sample_ids),
                     time.perf_counter() - start)
    return {"model": ig["attrs"]["model"], "dim_names": ig["dim_names"], "random_seed": random_seed,
            "methods": rankings}


def _explained_decoder(raw, ig: dict, threads: int) -> tuple:
    """The decoder IG explained, the training inputs it saw (its dimensions and normalisation) and their labels."""
    from pathlib import Path

    from . import train

    ckpt = train.load_checkpoint(Path(ig["attrs"]["model"]) / "model.pt")
    train.set_determinism(0, threads)
    inputs = train.prepare_inputs(raw, ckpt).subset("train")
    return ckpt["model"], inputs.sequences, inputs.labels


def input_scale(sequences: list[np.ndarray], limit: float = SCALE_RATIO_LIMIT, dim_names=None) -> dict:
    """The spread of the per-dimension std over all rows of the inputs a decoder sees, and a warning when
    the largest std is more than ``limit`` times the smallest: IG multiplies the gradient by the input, so
    it favours large-scale dimensions whatever they carry. Near-constant dimensions (std at most
    ``NEAR_CONSTANT`` of their level: float rounding noise, a dead unit) are named and left out: their
    tiny std says nothing about the scale of the others. Normalised inputs have unit std and never warn."""
    from .store import RowStats

    rows = RowStats()  # merged per sequence: exact, without a float64 copy of every row (MuSe: ~10^5 x 1024)
    for seq in sequences:
        rows.add(seq)
    mean, std = rows.mean, np.sqrt(rows.m2 / rows.count)
    names = list(dim_names) if dim_names is not None else [f"dimension {i}" for i in range(len(std))]
    typical = float(np.median(std[std > 0])) if (std > 0).any() else 0.0
    near_constant = std <= NEAR_CONSTANT * np.maximum(np.abs(mean), typical)
    kept = np.flatnonzero(~near_constant)
    lo, hi = (float(std[kept].min()), float(std[kept].max())) if len(kept) else (0.0, 0.0)
    ratio = hi / lo if lo > 0 else 1.0
    warning = ""
    if ratio > limit:
        median = float(np.median(std[kept]))
        by_std = kept[np.argsort(-std[kept], kind="stable")]

        def named(dims):
            return ", ".join(f"{names[i]} ({std[i]:.3g}, {std[i] / median:.3g}x the median)" for i in dims)

        warning = (f"the per-dimension std of the training rows spans {ratio:.0f}x ({lo:.3g} to {hi:.3g}) over "
                   f"{len(kept)} dimensions and the inputs are not normalised; largest: {named(by_std[:3])}; "
                   f"smallest: {named(by_std[::-1][:3])}. Integrated Gradients multiplies by the input, so the "
                   f"large-scale dimensions get large attributions whatever they carry; `normalise: true` puts "
                   f"every dimension on unit std")
    note = ""
    if near_constant.any():
        listed = [names[i] for i in np.flatnonzero(near_constant)]
        note = (f"{len(listed)} near-constant dimensions (std at most {NEAR_CONSTANT:g} of their level) left out of "
                f"the scale check: {', '.join(listed[:10])}{', ...' if len(listed) > 10 else ''}; they carry next "
                f"to nothing, and `normalise: true` would scale them up to unit std like the others")
    return {"input_std_min": lo, "input_std_max": hi, "input_std_ratio": float(ratio), "scale_warning": warning,
            "near_constant_dims": ", ".join(names[i] for i in np.flatnonzero(near_constant)), "scale_note": note}
