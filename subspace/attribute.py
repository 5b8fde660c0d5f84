"""Integrated Gradients (captum) of a trained decoder's outputs w.r.t. every input dimension."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from captum.attr import IntegratedGradients
from tqdm import tqdm

from .config.model import Attribution, default
from .decoder import Decoder, pad_batch

log = logging.getLogger(__name__)


@dataclass
class AttributionConfig:
    """Integrated Gradients' settings (config section ``attribution``; defaults from the config model)."""

    n_steps: int = default(Attribution, "n_steps")
    # Gauss-Legendre (captum's default): median completeness error at 50 steps ~1e-6 on the benchmark decoder,
    # up to 1e-3-1e-2 on others; "riemann_right" is the paper's formula (sum of gradients at k/m, k = 1..m), 1-16%
    # on the same decoders (benchmarks/README.md)
    method: str = default(Attribution, "method")
    # rows per forward pass; unbounded, captum needs ~9 GB for 512 sequences
    internal_batch_size: int = default(Attribution, "internal_batch_size")
    batch_size: int = default(Attribution, "batch_size")  # sequences per attribute() call
    aggregate: str = default(Attribution, "aggregate")  # "abs": mean |attribution|; "signed": raw mean
    # "projection": integrate in the input projection's output space and map back through its weights
    # (exact, because the projection is linear without bias, and ~2x faster); "input": plain captum on x
    interpolate_in: str = default(Attribution, "interpolate_in")
    # "activated": the model's output after its final sigmoid, what the paper attributed (captum on the
    # baseline's decoders); "logit": the score before it
    output: str = default(Attribution, "output")
    # multiclass decoders: "labelled" explains each sample's labelled class, "mean" averages every class's IG
    multiclass: str = default(Attribution, "multiclass")


def integrated_gradients(model: Decoder, x: torch.Tensor, lengths: torch.Tensor, target: int | torch.Tensor,
                         cfg: AttributionConfig) -> tuple[np.ndarray, np.ndarray]:
    """IG of output ``target`` (an index, or a tensor of one per sample: each sample's class) for a padded batch,
    zero baseline, multiplied by inputs.

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
        gap = output_of(model(x, lengths, activate), target) - output_of(model(torch.zeros_like(x), lengths, activate),
                                                                         target)
        delta = attr.sum(dim=(1, 2)) - gap
    return attr.cpu().numpy(), delta.cpu().numpy()


def output_of(outputs: torch.Tensor, target: int | torch.Tensor) -> torch.Tensor:
    """Each sample's output ``target``: one index for all, or one per sample."""
    if isinstance(target, torch.Tensor):
        return outputs.gather(1, target.view(-1, 1).to(outputs.device))[:, 0]
    return outputs[:, target]


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
                        progress: bool = True, device="cpu", labels=None) -> dict[str, np.ndarray]:
    """Per-dimension mean and std of IG over all samples' valid time steps, per output.

    Outputs are attributed separately; ``mean``/``std`` average them over outputs (Mimic's rule). A multiclass
    decoder (softmax) with ``cfg.multiclass == "labelled"`` explains each sample's labelled class (``labels``:
    the class index per sequence): ``mean``/``std`` pool every sample's cells, ``mean_per_target`` holds each
    class's statistics over the samples of that class (NaN for a class without samples), and the completeness
    columns hold the one explained output per sample.
    """
    if not sequences:
        raise ValueError("no sequences to attribute")
    if cfg.aggregate not in ("abs", "signed"):  # anything else would silently give the signed mean
        raise ValueError(f"attribution aggregate must be 'abs' or 'signed', not '{cfg.aggregate}'")
    labelled = explains_labelled_class(model, cfg.multiclass)
    if labelled and labels is None:
        raise ValueError("IG of each sample's labelled class needs the samples' labels")
    n_outputs, dim = model.cfg.n_targets, sequences[0].shape[1]
    # running sums over every valid (sample, time step) cell, per output
    s1 = np.zeros((n_outputs, dim))
    s2 = np.zeros((n_outputs, dim))
    n_cells = np.zeros(n_outputs)
    explained = 1 if labelled else n_outputs
    deltas = np.zeros((len(sequences), explained))
    gaps = np.zeros((len(sequences), explained))
    model = model.to(device).eval()  # before the output gaps below, not only inside integrated_gradients
    batches = padded_batches(sequences, cfg.batch_size, device)
    for idx, x, lengths, valid in tqdm(batches, total=-(-len(sequences) // cfg.batch_size),
                                       desc="integrated gradients", unit="batch", disable=not progress,
                                       mininterval=5):
        activate = cfg.output == "activated"
        with torch.no_grad():
            gap = (model(x, lengths, activate) - model(torch.zeros_like(x), lengths, activate)).cpu().numpy()
        if labelled:
            classes = np.asarray(labels, dtype=np.int64).reshape(len(sequences), -1)[idx, 0]
            attr, deltas[idx, 0] = integrated_gradients(model, x, lengths, torch.from_numpy(classes), cfg)
            gaps[idx, 0] = gap[np.arange(len(idx)), classes]
            for c in np.unique(classes):
                mine = classes == c
                _accumulate(s1, s2, n_cells, c, attr[mine][valid[mine]], cfg.aggregate)
            continue
        for k in range(n_outputs):
            attr, deltas[idx, k] = integrated_gradients(model, x, lengths, k, cfg)
            _accumulate(s1, s2, n_cells, k, attr[valid], cfg.aggregate)
            gaps[idx, k] = gap[:, k]
    with np.errstate(invalid="ignore", divide="ignore"):  # a class without training samples: NaN
        mean_k = s1 / n_cells[:, None]
        std_k = np.sqrt(np.maximum(s2 / n_cells[:, None] - mean_k ** 2, 0.0))
    if labelled:  # every sample's own class, pooled over all cells
        mean = s1.sum(0) / n_cells.sum()
        std = np.sqrt(np.maximum(s2.sum(0) / n_cells.sum() - mean ** 2, 0.0))
    else:
        mean, std = mean_k.mean(0), std_k.mean(0)
    return {"mean": mean, "std": std, "mean_per_target": mean_k, "std_per_target": std_k,
            "completeness_delta": deltas, "output_gap": gaps}


def explains_labelled_class(model: Decoder, multiclass: str) -> bool:
    """Whether an attribution explains each sample's labelled class: a multiclass decoder and ``multiclass``
    (config ``attribution.multiclass``) ``labelled``."""
    if multiclass not in ("labelled", "mean"):
        raise ValueError(f"attribution multiclass must be 'labelled' or 'mean', not '{multiclass}'")
    return model.cfg.activation == "softmax" and multiclass == "labelled"


def _accumulate(s1: np.ndarray, s2: np.ndarray, n_cells: np.ndarray, k: int, cells: np.ndarray,
                aggregate: str) -> None:
    """Add attribution cells (valid time steps x dim) to output k's running sums."""
    if aggregate == "abs":
        cells = np.abs(cells)
    s1[k] += cells.sum(0)
    s2[k] += (cells.astype(np.float64) ** 2).sum(0)
    n_cells[k] += len(cells)


def relative_completeness_error(stats: dict) -> float:
    """Median over samples of |sum(IG) - (f(x) - f(0))| / |f(x) - f(0)|."""
    gap = np.abs(stats["output_gap"])
    rel = np.abs(stats["completeness_delta"]) / np.where(gap > 1e-12, gap, np.nan)
    return float(np.nanmedian(rel))


def explain_best_seed(emb, model_dirs: list, cfg: AttributionConfig, device="cpu", threads: int = 1):
    """IG over the training partition with the full decoder of the seed that scored best on devel.

    Returns (statistics, attributes for the attribution file): which model was explained, the settings, the
    median completeness error, the input-scale check and a warning when that decoder learned next to nothing.
    """
    from .evaluate import input_scale
    from .runs import best_seed, read_metrics
    from .train import load_checkpoint, prepare_inputs, set_determinism

    records = [read_metrics(Path(d) / "metrics.json") for d in model_dirs]
    best = best_seed(records)
    model_dir = str(model_dirs[best])
    collapsed = records[best].get("collapsed_targets") or []
    decoder_warning = (f"the explained decoder's devel predictions are nearly constant for {', '.join(collapsed)}: "
                       f"it learned little, so its attributions and the selection mean little" if collapsed else "")
    if decoder_warning:
        log.warning("%s: %s", model_dir, decoder_warning)
    ckpt = load_checkpoint(Path(model_dir) / "model.pt")
    train = prepare_inputs(emb, ckpt).subset("train")
    scale = input_scale(train.sequences, dim_names=train.dim_names)  # what IG multiplies by: the inputs it saw
    if scale["scale_warning"]:
        log.warning("%s", scale["scale_warning"])
    if scale.get("scale_note"):
        log.info("%s", scale["scale_note"])
    set_determinism(0, threads)
    log.info("IG of the %s output over %d training samples with %s (devel %.4f), %d steps (%s)", cfg.output,
             len(train.sample_ids), model_dir, records[best]["scores"]["devel"], cfg.n_steps, cfg.method)
    start = time.perf_counter()
    stats = attribute_sequences(ckpt["model"], train.sequences, cfg, device=device, labels=train.labels)
    rel = relative_completeness_error(stats)
    log.info("done in %.1f s; median relative completeness error %.2e", time.perf_counter() - start, rel)
    classes = ckpt.get("classes") or []
    attrs = {"model": model_dir, "n_samples": len(train.sample_ids), "n_steps": cfg.n_steps, "method": cfg.method,
             "aggregate": cfg.aggregate, "output": cfg.output, "median_relative_completeness_error": rel,
             "decoder_warning": decoder_warning, **scale,
             # a multiclass decoder: its classes (the rows of mean_per_target) and which outputs IG explained
             "classes": json.dumps(classes), "multiclass": cfg.multiclass if classes else ""}
    return stats, attrs
