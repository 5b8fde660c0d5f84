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

from . import metrics
from .atomic import atomic_path, write_csv, write_json
from .decoder import Decoder, DecoderConfig, count_parameters, pad_batch
from .store import Embeddings

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    task_type: str  # "binary" (Humor) or "regression" (Mimic)
    lr: float = 0.001
    batch_size: int = 64
    max_epochs: int = 30
    early_stopping_patience: int = 3
    reduce_lr_patience: int = 1
    normalise: bool = False
    seed: int = 101


def set_determinism(seed: int, threads: int = 1) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def fit_scaler(train: Embeddings) -> tuple[np.ndarray, np.ndarray]:
    rows = np.concatenate(train.sequences)
    mean, std = rows.mean(0), rows.std(0)
    return mean.astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32)


def to_tensors(emb: Embeddings, mean=None, std=None):
    seqs = emb.sequences if mean is None else [(s - mean) / std for s in emb.sequences]
    x, lengths = pad_batch(seqs)
    return x, lengths, torch.as_tensor(emb.labels, dtype=torch.float32)


def predict(model: Decoder, x, lengths, task_type: str, batch_size: int = 512) -> np.ndarray:
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            outs.append(model(x[i:i + batch_size], lengths[i:i + batch_size]))
    out = torch.cat(outs)
    return (torch.sigmoid(out) if task_type == "binary" else out).numpy()


def loss_function(task_type: str) -> nn.Module:
    return nn.BCEWithLogitsLoss() if task_type == "binary" else nn.MSELoss()


def train_decoder(emb: Embeddings, dec_cfg: DecoderConfig, cfg: TrainConfig) -> dict:
    """Returns the best-on-devel model, its scaler, and a training record (scores, timing, epochs)."""
    train, devel = emb.subset("train"), emb.subset("devel")
    mean, std = fit_scaler(train) if cfg.normalise else (None, None)
    x_tr, len_tr, y_tr = to_tensors(train, mean, std)
    x_dv, len_dv, y_dv = to_tensors(devel, mean, std)
    model = Decoder(dec_cfg)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser, mode="max", patience=cfg.reduce_lr_patience, factor=0.1)
    criterion = loss_function(cfg.task_type)
    order_rng = np.random.default_rng(cfg.seed)
    best_score, best_state, best_epoch, stale = -np.inf, None, 0, 0
    history, epoch_seconds = [], []
    for epoch in range(1, cfg.max_epochs + 1):
        start = time.perf_counter()
        model.train()
        order = order_rng.permutation(len(x_tr))
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = torch.as_tensor(order[i:i + cfg.batch_size])
            optimiser.zero_grad()
            loss = criterion(model(x_tr[idx], len_tr[idx]), y_tr[idx])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(idx)
        devel_score = metrics.score(cfg.task_type, y_dv.numpy(), predict(model, x_dv, len_dv, cfg.task_type))
        scheduler.step(devel_score)
        epoch_seconds.append(time.perf_counter() - start)
        history.append({"epoch": epoch, "train_loss": total / len(order), "devel_score": devel_score,
                        "lr": optimiser.param_groups[0]["lr"]})
        log.info("epoch %d/%d  train loss %.4f  devel %s %.4f  (%.2f s)", epoch, cfg.max_epochs,
                 total / len(order), metrics.metric_name(cfg.task_type), devel_score, epoch_seconds[-1])
        if devel_score > best_score:
            best_score, best_state, best_epoch, stale = devel_score, copy.deepcopy(model.state_dict()), epoch, 0
        else:
            stale += 1
            if stale >= cfg.early_stopping_patience:
                log.info("early stop: devel score has not improved for %d epochs", stale)
                break
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
    if ckpt["mean"] is not None:
        emb = Embeddings([(s - ckpt["mean"]) / ckpt["std"] for s in emb.sequences], emb.timestamps,
                         emb.sample_ids, emb.partitions, emb.labels, emb.dim_names, emb.attrs)
    return emb


def run(emb: Embeddings, dec_kwargs: dict, cfg: TrainConfig, out_dir, dims=None, targets=("label",),
        threads: int = 1) -> dict:
    """Train, then write ``model.pt``, ``predictions.csv`` and ``metrics.json`` into ``out_dir``."""
    set_determinism(cfg.seed, threads)
    if dims is not None:
        emb = emb.select_dims(dims)
    dec_cfg = DecoderConfig(d_in=emb.dim, n_targets=emb.labels.shape[1], **dec_kwargs)
    result = train_decoder(emb, dec_cfg, cfg)
    model, out_dir = result["model"], Path(out_dir)
    rows, scores = [], {}
    for partition in ("train", "devel", "test"):
        part = emb.subset(partition)
        if not len(part.sample_ids):
            continue
        x, lengths, y = to_tensors(part, result["mean"], result["std"])
        pred = predict(model, x, lengths, cfg.task_type)
        if not np.isnan(part.labels).any():
            scores[partition] = metrics.score(cfg.task_type, part.labels, pred)
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
              "history": result["history"]}
    save_checkpoint(out_dir / "model.pt", model, dims, result["mean"], result["std"], cfg.task_type)
    write_csv(out_dir / "predictions.csv", pd.DataFrame(rows), float_format=None)
    write_json(out_dir / "metrics.json", record)
    return record
