"""Integrated Gradients (captum) of a trained decoder's outputs w.r.t. every input dimension."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import IntegratedGradients
from tqdm import tqdm

from .decoder import Decoder, pad_batch

log = logging.getLogger(__name__)


@dataclass
class AttributionConfig:
    n_steps: int = 50
    # Gauss-Legendre (captum's default) is exact to float precision at 50 steps; "riemann_right" is the
    # paper's formula (sum of gradients at k/m, k = 1..m), 3.8% completeness error there
    method: str = "gausslegendre"
    internal_batch_size: int = 2048  # rows per forward pass; unbounded, captum needs ~9 GB for 512 sequences
    batch_size: int = 128            # sequences per attribute() call
    aggregate: str = "abs"           # "abs": mean |attribution| (sign-free relevance); "signed": raw mean
    # "projection": integrate in the input projection's output space and map back through its weights
    # (exact, because the projection is linear without bias, and ~2x faster); "input": plain captum on x
    interpolate_in: str = "projection"
    # "activated": the model's output after its final sigmoid, what the paper attributed (captum on the
    # baseline's decoders); "logit": the score before it
    output: str = "activated"


def integrated_gradients(model: Decoder, x: torch.Tensor, lengths: torch.Tensor, target: int,
                         cfg: AttributionConfig) -> tuple[np.ndarray, np.ndarray]:
    """IG of output ``target`` for a padded batch, zero baseline, multiplied by inputs.

    Returns attributions (batch, time, dim) and the completeness delta per sample
    (sum of attributions minus (f(x) - f(0))).
    """
    model.eval()
    if cfg.output not in ("activated", "logit"):
        raise ValueError(f"attribution output must be 'activated' or 'logit', not '{cfg.output}'")
    activate = cfg.output == "activated"
    options = dict(target=target, additional_forward_args=(lengths, activate), n_steps=cfg.n_steps,
                   method=cfg.method, internal_batch_size=cfg.internal_batch_size)
    # cuDNN's GRU has no backward in eval() mode (captum #564, #1159); the native kernels give the same values
    with torch.backends.cudnn.flags(enabled=False):
        if cfg.interpolate_in == "input":
            ig = IntegratedGradients(model, multiply_by_inputs=True)
            attr, delta = ig.attribute(x, baselines=torch.zeros_like(x), return_convergence_delta=True, **options)
            return attr.detach().cpu().numpy(), delta.detach().cpu().numpy()
        if cfg.interpolate_in != "projection":
            raise ValueError(f"interpolate_in must be 'projection' or 'input', not '{cfg.interpolate_in}'")
        # The path k/m * x maps to k/m * h with h = W x, so dF/dx_i along it is sum_j W_ji dG/dh_j:
        # captum integrates the gradient w.r.t. h (multiply_by_inputs=False gives the step-weighted
        # path average), and one matrix product carries it back to the input dimensions.
        with torch.no_grad():
            h = model.inp(x)
        ig = IntegratedGradients(model.forward_projected, multiply_by_inputs=False)
        path_grad_h = ig.attribute(h, baselines=torch.zeros_like(h), **options)
    with torch.no_grad():
        attr = x * (path_grad_h @ model.inp.weight)
        gap = model(x, lengths, activate)[:, target] - model(torch.zeros_like(x), lengths, activate)[:, target]
        delta = attr.sum(dim=(1, 2)) - gap
    return attr.cpu().numpy(), delta.cpu().numpy()


def padded_batches(sequences: list[np.ndarray], batch_size: int, device="cpu"):
    """Yield (idx, x, lengths, valid) per batch: the samples' positions, their inputs zero-padded to the batch's
    longest sequence (on ``device``) and the mask of real time steps. Batches take the samples longest first, so a
    long video pads only its own batch and the work follows the lengths, not the store order."""
    order = np.argsort(-np.array([len(s) for s in sequences]), kind="stable")
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        x, lengths = pad_batch([sequences[i] for i in idx])
        valid = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).numpy()
        yield idx, x.to(device), lengths, valid


def attribute_sequences(model: Decoder, sequences: list[np.ndarray], cfg: AttributionConfig,
                        progress: bool = True, device="cpu") -> dict[str, np.ndarray]:
    """Per-dimension mean and std of IG over all samples' valid time steps, per output.

    Outputs are attributed separately; ``mean``/``std`` average them over outputs (Mimic's rule).
    """
    if not sequences:
        raise ValueError("no sequences to attribute")
    n_targets, dim = model.cfg.n_targets, sequences[0].shape[1]
    # running sums over every valid (sample, time step) cell, per output
    s1 = np.zeros((n_targets, dim))
    s2 = np.zeros((n_targets, dim))
    n_cells = 0
    deltas = np.zeros((len(sequences), n_targets))
    gaps = np.zeros((len(sequences), n_targets))
    model = model.to(device)
    batches = padded_batches(sequences, cfg.batch_size, device)
    for idx, x, lengths, valid in tqdm(batches, total=-(-len(sequences) // cfg.batch_size),
                                       desc="integrated gradients", unit="batch", disable=not progress,
                                       mininterval=5):
        activate = cfg.output == "activated"
        with torch.no_grad():
            gap = (model(x, lengths, activate) - model(torch.zeros_like(x), lengths, activate)).cpu().numpy()
        for k in range(n_targets):
            attr, delta = integrated_gradients(model, x, lengths, k, cfg)
            cells = attr[valid]  # (valid cells, dim)
            if cfg.aggregate == "abs":
                cells = np.abs(cells)
            s1[k] += cells.sum(0)
            s2[k] += (cells.astype(np.float64) ** 2).sum(0)
            deltas[idx, k] = delta
            gaps[idx, k] = gap[:, k]
        n_cells += int(valid.sum())
    mean_k = s1 / n_cells
    std_k = np.sqrt(np.maximum(s2 / n_cells - mean_k ** 2, 0.0))
    return {"mean": mean_k.mean(0), "std": std_k.mean(0), "mean_per_target": mean_k,
            "std_per_target": std_k, "completeness_delta": deltas, "output_gap": gaps}


def relative_completeness_error(stats: dict) -> float:
    """Median over samples of |sum(IG) - (f(x) - f(0))| / |f(x) - f(0)|."""
    gap = np.abs(stats["output_gap"])
    rel = np.abs(stats["completeness_delta"]) / np.where(gap > 1e-12, gap, np.nan)
    return float(np.nanmedian(rel))
