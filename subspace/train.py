"""Train one decoder (one feature, one seed, full or reduced input) with early stopping on devel."""
from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader

from . import metrics
from .atomic import atomic_path, write_csv, write_json
from .decoder import Decoder, DecoderConfig, count_parameters, pad_batch
from .store import Embeddings, RowStats

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """The baseline's training; defaults are its ``main.py``/``train.py`` defaults (../shared/muse2023.md)."""

    task_type: str  # "binary" (Humor) or "regression" (Mimic)
    lr: float = 0.0001
    batch_size: int = 256          # devel/test predictions go in batches of twice this, as the baseline's
    max_epochs: int = 100
    early_stopping_patience: int = 15
    reduce_lr_patience: int = 5
    lr_factor: float = 0.5         # ReduceLROnPlateau on 1 - devel score
    min_lr: float = 1e-5
    normalise: bool = False
    seed: int = 101


class TrainingError(ValueError):
    """Training cannot give a model (e.g. the devel score is undefined in every epoch)."""


# A decoder whose devel predictions vary by less than this share of the labels' spread has learned little
# beyond the label prior (its score comes from tiny wiggles); its attributions explain next to nothing.
COLLAPSED_SPREAD = 1e-3


def collapsed_targets(labels: np.ndarray, preds: np.ndarray, targets) -> list[str]:
    """The targets whose predictions are nearly constant against the spread of their labels."""
    label_std, pred_std = np.nanstd(labels, axis=0), np.std(preds, axis=0)
    return [t for t, ls, ps in zip(targets, label_std, pred_std) if ls > 0 and ps < COLLAPSED_SPREAD * ls]


def set_determinism(seed: int, threads: int = 1) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def fit_scaler(train: Embeddings) -> tuple[np.ndarray, np.ndarray]:
    """The baseline's StandardScaler: mean and std (ddof 0; 1 for a constant dimension) of every feature row
    of the training videos, which the store records; without them, of the training samples' own rows."""
    stats = train.train_rows
    if stats is None or not stats.count:
        stats = RowStats()
        for seq, empty in zip(train.sequences, train.empty):
            if not empty:
                stats.add(seq)
    return stats.mean.astype(np.float32), stats.std.astype(np.float32)


def normalised(emb: Embeddings, mean, std) -> Embeddings:
    """Scale every sequence; an imputed empty window stays a zero vector, as the baseline imputes after
    scaling."""
    if mean is None:
        return emb
    return emb.replace_sequences([np.zeros_like(s) if empty else (s - mean) / std
                                  for s, empty in zip(emb.sequences, emb.empty)])


def index_batches(n: int, batch_size: int, shuffle: bool) -> DataLoader:
    """Batches of sample indices from a torch DataLoader, as the baseline draws its batches: every pass over
    a DataLoader takes its seeds from the global torch generator, so one seed gives the baseline's batch
    order and dropout masks."""
    return DataLoader(range(n), batch_size=batch_size, shuffle=shuffle)


def padded(sequences: list[np.ndarray], idx, device) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch zero-padded to its own longest sequence: memory follows the batch, not the partition."""
    x, lengths = pad_batch([sequences[i] for i in idx])
    return x.to(device), lengths


def predict(model: Decoder, sequences: list[np.ndarray], batch_size: int = 512, device="cpu") -> np.ndarray:
    """The model's outputs (Humor: probabilities; Mimic: values in [0, 1]) in the sequences' order."""
    model.eval()
    outs = []
    with torch.no_grad():
        for idx in index_batches(len(sequences), batch_size, shuffle=False):
            outs.append(model(*padded(sequences, idx.tolist(), device)).cpu())
    return torch.cat(outs).numpy()


def loss_function(task_type: str, activation: str = "sigmoid") -> nn.Module:
    """The baseline's losses on the activated output: BCE (Humor), MSE (Mimic)."""
    if task_type == "binary":
        return nn.BCELoss() if activation == "sigmoid" else nn.BCEWithLogitsLoss()
    return nn.MSELoss()


def train_decoder(emb: Embeddings, dec_cfg: DecoderConfig, cfg: TrainConfig, device="cpu") -> dict:
    """Returns the best-on-devel model, its scaler, and a training record (scores, timing, epochs).

    The baseline's loop (train.py): shuffled batches, Adam, the devel score each epoch, early stopping on
    it with the best epoch restored, ReduceLROnPlateau(min, factor, min_lr) stepped on 1 - devel score.
    """
    device = torch.device(device)
    train, devel = emb.subset("train"), emb.subset("devel")
    mean, std = fit_scaler(train) if cfg.normalise else (None, None)
    x_tr, x_dv = normalised(train, mean, std).sequences, normalised(devel, mean, std).sequences
    y_tr = torch.as_tensor(train.labels, dtype=torch.float32)
    model = Decoder(dec_cfg).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser, mode="min", patience=cfg.reduce_lr_patience, factor=cfg.lr_factor, min_lr=cfg.min_lr)
    criterion = loss_function(cfg.task_type, dec_cfg.activation)
    best_score, best_state, best_epoch, stale = -np.inf, None, 0, 0
    history, epoch_seconds = [], []
    for epoch in range(1, cfg.max_epochs + 1):
        start = time.perf_counter()
        lr = optimiser.param_groups[0]["lr"]
        model.train()
        total = 0.0
        for idx in index_batches(len(x_tr), cfg.batch_size, shuffle=True):
            optimiser.zero_grad()
            loss = criterion(model(*padded(x_tr, idx.tolist(), device)), y_tr[idx].to(device))
            loss.backward()
            optimiser.step()
            total += loss.item() * len(idx)
        preds = predict(model, x_dv, 2 * cfg.batch_size, device)
        devel_score = metrics.score(cfg.task_type, devel.labels, preds)
        epoch_seconds.append(time.perf_counter() - start)
        history.append({"epoch": epoch, "train_loss": total / len(x_tr), "devel_score": devel_score, "lr": lr})
        log.info("epoch %d/%d  train loss %.4f  devel %s %.4f  lr %.2g  (%.2f s)", epoch, cfg.max_epochs,
                 total / len(x_tr), metrics.metric_name(cfg.task_type), devel_score, lr, epoch_seconds[-1])
        if devel_score > best_score:  # NaN never improves
            best_score, best_state, best_epoch, stale = devel_score, copy.deepcopy(model.state_dict()), epoch, 0
        else:
            stale += 1
            if stale >= cfg.early_stopping_patience:
                log.info("early stop: devel score has not improved for %d epochs", stale)
                break
        scheduler.step(1.0 - devel_score)
    if best_state is None:
        raise TrainingError(f"the devel {metrics.metric_name(cfg.task_type)} was undefined (NaN) in every one of "
                            f"{len(history)} epochs: check the devel labels (one class, a constant target) and "
                            f"the features (NaN/Inf)")
    model.load_state_dict(best_state)
    model.eval()
    return {"model": model, "mean": mean, "std": std, "best_epoch": best_epoch, "history": history,
            "epoch_seconds": epoch_seconds, "train_seconds": float(sum(epoch_seconds))}


def save_checkpoint(path, model: Decoder, dims, mean, std, task_type: str) -> None:
    with atomic_path(path) as tmp:
        torch.save({"decoder_config": model.cfg.to_dict(), "state_dict": model.state_dict(),
                    "dims": None if dims is None else list(map(int, dims)),
                    "mean": mean, "std": std, "task_type": task_type}, tmp)


def load_checkpoint(path) -> dict:
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    model = Decoder(DecoderConfig(**ckpt["decoder_config"]))
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    ckpt["model"] = model
    return ckpt


def prepare_inputs(emb: Embeddings, ckpt: dict) -> Embeddings:
    """Apply a checkpoint's dimension selection and normalisation to a store's sequences."""
    if ckpt["dims"] is not None:
        emb = emb.select_dims(ckpt["dims"])
    return normalised(emb, ckpt["mean"], ckpt["std"])


def run(emb: Embeddings, dec_kwargs: dict, cfg: TrainConfig, out_dir, dims=None, targets=("label",),
        threads: int = 1, device="cpu") -> dict:
    """Train, then write ``model.pt``, ``predictions.csv`` and ``metrics.json`` into ``out_dir``."""
    set_determinism(cfg.seed, threads)
    if dims is not None:
        emb = emb.select_dims(dims)
    dec_cfg = DecoderConfig(d_in=emb.dim, n_targets=emb.labels.shape[1], **dec_kwargs)
    result = train_decoder(emb, dec_cfg, cfg, device)
    model, out_dir = result["model"], Path(out_dir)
    rows, scores, collapsed = [], {}, []
    for partition in ("train", "devel", "test"):
        part = emb.subset(partition)
        if not len(part.sample_ids):
            continue
        pred = predict(model, normalised(part, result["mean"], result["std"]).sequences, 2 * cfg.batch_size, device)
        if not np.isnan(part.labels).any():
            scores[partition] = metrics.score(cfg.task_type, part.labels, pred)
        if partition == "devel":
            collapsed = collapsed_targets(part.labels, pred, targets)
            if collapsed:
                log.warning("seed %d: the decoder's devel predictions are nearly constant for %s (spread under "
                            "%g of the labels'): it learned little beyond the label prior, so its scores and "
                            "attributions mean little; try another lr, model_dim or patience", cfg.seed,
                            ", ".join(collapsed), COLLAPSED_SPREAD)
        for i, sid in enumerate(part.sample_ids):
            row = {"sample_id": sid, "partition": partition}
            for k, t in enumerate(targets):
                row[f"label_{t}"] = part.labels[i, k]
                row[f"pred_{t}"] = pred[i, k]
            rows.append(row)
    record = {"metric": metrics.metric_name(cfg.task_type), "scores": scores, "seed": cfg.seed,
              "n_dims": emb.dim, "parameters": count_parameters(model), "best_epoch": result["best_epoch"],
              "epochs": len(result["history"]), "train_seconds": result["train_seconds"],
              "median_epoch_seconds": float(np.median(result["epoch_seconds"])),
              "collapsed_targets": collapsed, "history": result["history"]}
    save_checkpoint(out_dir / "model.pt", model.cpu(), dims, result["mean"], result["std"], cfg.task_type)
    write_csv(out_dir / "predictions.csv", pd.DataFrame(rows), float_format=None)
    write_json(out_dir / "metrics.json", record)
    return record
