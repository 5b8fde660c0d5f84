"""Train one decoder (one feature, one seed, full or reduced input) with early stopping on devel."""
from __future__ import annotations

import copy
import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import targets as kinds
from .config.model import Config, Feature, Training, default
from .atomic import atomic_path, write_csv, write_json
from .batches import PaddedBatches, index_batches, predict  # noqa: F401 - callers use train.predict & co.
from .decoder import Decoder, DecoderConfig, count_parameters
from .errors import InputError
from .loss import task_loss
from .metrics import score
from .store import Embeddings, RowStats
from .torchjob import deterministic

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """The baseline's training; defaults are its ``main.py``/``train.py`` defaults (EIHW/MuSe-2023 @ bb5f7f2;
    docs/sources.md)."""

    task_type: str  # the target kind: "binary" (Humor), "multiclass" or "regression" (Mimic)
    lr: float = default(Feature, "lr")
    batch_size: int = default(Training, "batch_size")  # devel/test predictions go in batches of twice this
    max_epochs: int = default(Training, "max_epochs")
    early_stopping_patience: int = default(Feature, "early_stopping_patience")
    reduce_lr_patience: int = default(Feature, "reduce_lr_patience")
    lr_factor: float = default(Training, "lr_factor")  # ReduceLROnPlateau on 1 - devel score
    min_lr: float = default(Training, "min_lr")
    normalise: bool = default(Feature, "normalise")
    seed: int = default(Config, "seeds")[0]
    metric: str | None = None  # early stopping's and the record's; None: the kind's default (targets.metric_of)
    class_weights: list[float] | None = None  # multiclass: the cross-entropy's weight per class

    @property
    def metric_name(self) -> str:
        return kinds.metric_of({"type": self.task_type, "metric": self.metric})


class TrainingError(ValueError):
    """Training cannot give a model (e.g. the devel score is undefined in every epoch)."""


# A decoder whose devel predictions vary by less than this share of the labels' spread has learned little
# beyond the label prior (its score comes from tiny wiggles); its attributions explain next to nothing.
COLLAPSED_SPREAD = 1e-3


def collapsed_targets(labels: np.ndarray, preds: np.ndarray, targets, classes=None) -> list[str]:
    """The targets whose predictions are nearly constant against the spread of their labels (multiclass: every
    class probability against the spread of that class's one-hot label)."""
    if classes:
        onehot = np.eye(len(classes))[labels[:, 0].astype(int)]
        label_std, pred_std = onehot.std(0)[onehot.std(0) > 0], preds.std(0)[onehot.std(0) > 0]
        return list(targets)[:1] if len(label_std) and (pred_std < COLLAPSED_SPREAD * label_std).all() else []
    label_std, pred_std = np.nanstd(labels, axis=0), np.std(preds, axis=0)
    return [t for t, ls, ps in zip(targets, label_std, pred_std) if ls > 0 and ps < COLLAPSED_SPREAD * ls]


def set_determinism(seed: int, threads: int = 1) -> None:
    """Seed torch and numpy; deterministic algorithms (:func:`subspace.torchjob.deterministic`)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(threads)
    deterministic()


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


def training_targets(labels: np.ndarray, dec_cfg: DecoderConfig) -> torch.Tensor:
    """What the loss compares the outputs with: class indices (softmax), standardised values (standardise), else
    the labels."""
    if dec_cfg.activation == "softmax":
        return torch.as_tensor(labels[:, 0], dtype=torch.int64)
    if dec_cfg.activation == "standardise":
        labels = (labels - np.asarray(dec_cfg.target_mean)) / np.asarray(dec_cfg.target_std)
    return torch.as_tensor(labels, dtype=torch.float32)


def train_decoder(emb: Embeddings, dec_cfg: DecoderConfig, cfg: TrainConfig, device="cpu") -> dict:
    """Returns the best-on-devel model, its scaler, and a training record (scores, timing, epochs).

    The baseline's loop (train.py): shuffled batches, Adam, the devel score each epoch, early stopping on
    it with the best epoch restored, ReduceLROnPlateau(min, factor, min_lr) stepped on 1 - devel score.
    """
    device = torch.device(device)
    train, devel = emb.subset("train"), emb.subset("devel")
    mean, std = fit_scaler(train) if cfg.normalise else (None, None)
    x_tr = PaddedBatches(normalised(train, mean, std).sequences, device)
    x_dv = PaddedBatches(normalised(devel, mean, std).sequences, device)
    y_tr = training_targets(train.labels, dec_cfg).to(device)
    model = Decoder(dec_cfg).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser, mode="min", patience=cfg.reduce_lr_patience, factor=cfg.lr_factor, min_lr=cfg.min_lr)
    criterion, on_activated = task_loss(cfg.task_type, dec_cfg.activation, cfg.class_weights)
    criterion = criterion.to(device)
    best_score, best_state, best_epoch, stale = -np.inf, None, 0, 0
    history, epoch_seconds = [], []
    for epoch in range(1, cfg.max_epochs + 1):
        start = time.perf_counter()
        lr = optimiser.param_groups[0]["lr"]
        model.train()
        total = 0.0
        for idx in index_batches(len(x_tr), cfg.batch_size, shuffle=True):
            optimiser.zero_grad()
            loss = criterion(model(*x_tr.batch(idx), activate=on_activated), y_tr[torch.from_numpy(idx).to(device)])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(idx)
        preds = kinds.probabilities(cfg.task_type, dec_cfg.activation, predict(model, x_dv, 2 * cfg.batch_size, device))
        devel_score = score(cfg.metric_name, devel.labels, preds)
        epoch_seconds.append(time.perf_counter() - start)
        history.append({"epoch": epoch, "train_loss": total / len(x_tr), "devel_score": devel_score, "lr": lr})
        log.info("epoch %d/%d  train loss %.4f  devel %s %.4f  lr %.2g  (%.2f s)", epoch, cfg.max_epochs,
                 total / len(x_tr), cfg.metric_name, devel_score, lr, epoch_seconds[-1])
        if devel_score > best_score:  # NaN never improves
            best_score, best_state, best_epoch, stale = devel_score, copy.deepcopy(model.state_dict()), epoch, 0
        else:
            stale += 1
            if stale >= cfg.early_stopping_patience:
                log.info("early stop: devel score has not improved for %d epochs", stale)
                break
        scheduler.step(1.0 - devel_score)
    if best_state is None:
        raise TrainingError(f"the devel {cfg.metric_name} was undefined (NaN) in every one of "
                            f"{len(history)} epochs: check the devel labels (one class, a constant target) and "
                            f"the features (NaN/Inf)")
    model.load_state_dict(best_state)
    model.eval()
    return {"model": model, "mean": mean, "std": std, "best_epoch": best_epoch, "history": history,
            "epoch_seconds": epoch_seconds, "train_seconds": float(sum(epoch_seconds))}


def save_checkpoint(path, model: Decoder, dims, mean, std, task_type: str, classes=None) -> None:
    """Weights and plain settings only (tensors, lists, numbers, strings), so that :func:`load_checkpoint` reads it
    with ``weights_only=True``: a results folder is data, never code. ``classes``: a multiclass decoder's outputs."""
    with atomic_path(path) as tmp:
        torch.save({"decoder_config": model.cfg.to_dict(), "state_dict": model.state_dict(),
                    "dims": None if dims is None else list(map(int, dims)),
                    "mean": None if mean is None else torch.as_tensor(np.asarray(mean, np.float32)),
                    "std": None if std is None else torch.as_tensor(np.asarray(std, np.float32)),
                    "task_type": str(task_type),
                    "classes": None if classes is None else [kinds.label_key(c) for c in classes]}, tmp)


CHECKPOINT_KEYS = ("decoder_config", "state_dict", "dims", "mean", "std", "task_type")


def load_checkpoint(path) -> dict:
    """A decoder checkpoint: the model (eval mode), its dims, the scaler as float32 arrays (or None), the task type.

    Read with ``weights_only=True``: a checkpoint that needs anything but tensors and plain values to load (a
    tampered file, or one written by an older version that pickled numpy arrays) is refused, never run.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "model checkpoint does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError ... for a bad file
        raise InputError(path, f"cannot read the model checkpoint safely (truncated, tampered with, or written by an "
                               f"older version: retrain it): {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                         ) from None
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        raise InputError(path, f"not a decoder checkpoint: missing {missing}")
    try:
        model = Decoder(DecoderConfig(**ckpt["decoder_config"]))
        model.load_state_dict(ckpt["state_dict"])
        mean, std = [None if ckpt[k] is None else torch.as_tensor(ckpt[k]).numpy().astype(np.float32)
                     for k in ("mean", "std")]
    except (TypeError, RuntimeError, ValueError, KeyError, AttributeError) as exc:
        raise InputError(path, f"the checkpoint's weights or settings do not fit the decoder: {exc}") from None
    model.eval()
    return dict(ckpt, model=model, mean=mean, std=std)


def prepare_inputs(emb: Embeddings, ckpt: dict) -> Embeddings:
    """Apply a checkpoint's dimension selection and normalisation to a store's sequences."""
    if ckpt["dims"] is not None:
        emb = emb.select_dims(ckpt["dims"])
    return normalised(emb, ckpt["mean"], ckpt["std"])


def run(emb: Embeddings, dec_kwargs: dict, cfg: TrainConfig, out_dir, dims=None, targets=("label",),
        threads: int = 1, device="cpu", classes=None, class_weights=None) -> dict:
    """Train, then write ``model.pt``, ``predictions.csv`` and ``metrics.json`` into ``out_dir``.

    ``dec_kwargs["activation"]`` (default ``auto``) is resolved against the train and devel labels
    (:func:`subspace.targets.resolve_activation`); ``classes`` name a multiclass task's outputs and
    ``class_weights`` is the task's setting (``balanced``, by class, or None)."""
    set_determinism(cfg.seed, threads)
    if dims is not None:
        emb = emb.select_dims(dims)
    dec_cfg = decoder_config(emb, dec_kwargs, cfg.task_type, targets, classes)
    if cfg.task_type == "multiclass":
        cfg = dataclasses.replace(cfg, class_weights=kinds.class_weights(class_weights, classes,
                                                                         emb.subset("train").labels))
    n_train = int((emb.partitions == "train").sum())
    steps, few_steps = -(-n_train // cfg.batch_size), small_data_warning(n_train, cfg.batch_size)
    if few_steps:
        log.warning("seed %d: %s", cfg.seed, few_steps)
    result = train_decoder(emb, dec_cfg, cfg, device)
    model, out_dir = result["model"], Path(out_dir)
    frames, scores, collapsed = [], {}, []
    for partition in ("train", "devel", "test"):
        part = emb.subset(partition)
        if not len(part.sample_ids):
            continue
        pred = kinds.probabilities(cfg.task_type, dec_cfg.activation, predict(
            model, normalised(part, result["mean"], result["std"]).sequences, 2 * cfg.batch_size, device))
        if not np.isnan(part.labels).any():
            scores[partition] = score(cfg.metric_name, part.labels, pred)
        if partition == "devel":
            collapsed = collapsed_targets(part.labels, pred, targets, classes)
            if collapsed:
                log.warning("seed %d: the decoder's devel predictions are nearly constant for %s (spread under "
                            "%g of the labels'): it learned little beyond the label prior, so its scores and "
                            "attributions mean little; try another lr, model_dim or patience", cfg.seed,
                            ", ".join(collapsed), COLLAPSED_SPREAD)
        # the sampling unit and subject: what a cluster bootstrap resamples and a leak check compares
        frames.append(pd.DataFrame({"sample_id": part.sample_ids, "partition": partition, "group": part.groups,
                                    "subject": part.subjects,
                                    **kinds.prediction_values(part.labels, pred, targets, classes)}))
    record = {"metric": cfg.metric_name, "scores": scores, "seed": cfg.seed,
              "n_dims": emb.dim, "parameters": count_parameters(model), "best_epoch": result["best_epoch"],
              "epochs": len(result["history"]), "train_seconds": result["train_seconds"],
              "median_epoch_seconds": float(np.median(result["epoch_seconds"])),
              "collapsed_targets": collapsed, "activation": dec_cfg.activation, "steps_per_epoch": steps,
              "small_data": few_steps, "history": result["history"]}
    save_checkpoint(out_dir / "model.pt", model.cpu(), dims, result["mean"], result["std"], cfg.task_type, classes)
    write_csv(out_dir / "predictions.csv", pd.concat(frames, ignore_index=True), float_format=None)
    write_json(out_dir / "metrics.json", record)
    return record


def decoder_config(emb: Embeddings, dec_kwargs: dict, kind: str, targets, classes) -> DecoderConfig:
    """The decoder for a store's targets: one output per class or target, and the activation the targets
    allow (refused, as a :class:`TrainingError` naming the fix, where a sigmoid cannot reach them)."""
    scored = emb.labels[np.isin(emb.partitions, ("train", "devel"))]
    requested = dec_kwargs.get("activation", default(Training, "activation"))
    activation = kinds.resolve_activation(requested, kind, scored)
    problem = kinds.unreachable(activation, scored, targets) if kind == "regression" else ""
    if problem:
        raise TrainingError(problem)
    scaling = {}
    if activation == "standardise":
        mean, std = kinds.target_scaler(emb.subset("train").labels)
        scaling = {"target_mean": mean, "target_std": std}
        log.info("targets standardised on train (mean %s, std %s); predictions mapped back", mean, std)
    n_outputs = kinds.n_outputs(kind, emb.labels.shape[1], classes)
    return DecoderConfig(d_in=emb.dim, n_targets=n_outputs, **{**dec_kwargs, "activation": activation, **scaling})


# Fewer optimisation steps than this per epoch barely train a decoder: on 48 one-vector samples, the baseline's
# batch 256 (one step) and lr 1e-4 found 5.6 of 10 planted dimensions, batch 8 (6 steps) and lr 3e-3 found 8.4
# (benchmarks/small_corpora.py; docs/real-data.md, small corpora)
FEW_STEPS = 4


def small_data_warning(n_train: int, batch_size: int) -> str:
    """A note where the training partition gives fewer than :data:`FEW_STEPS` optimisation steps per epoch."""
    steps = -(-n_train // batch_size)
    if steps >= FEW_STEPS:
        return ""
    return (f"the training partition gives {steps} optimisation step{'s' if steps != 1 else ''} per epoch "
            f"({n_train} samples, batch_size {batch_size}): the decoder barely trains; set training.batch_size "
            f"to {max(1, n_train // FEW_STEPS)} or less and raise the feature's lr (48 samples: batch 8 and lr 3e-3 "
            f"found 8.4 of 10 planted dimensions where batch 256 and lr 1e-4 found 5.6; docs/real-data.md)")


def run_seed(emb: Embeddings, spec: dict, seed: int, out_dir, dims=None, threads: int = 1, device="cpu",
             source="the embedding store") -> dict:
    """:func:`run` with one seed of a step's spec (task_type, targets, decoder, train); a training that cannot
    give a model is an :class:`InputError` naming ``source`` and the seed."""
    cfg = TrainConfig(task_type=spec["task_type"], seed=seed, metric=spec.get("metric"), **spec["train"])
    try:
        return run(emb, spec["decoder"], cfg, out_dir, dims=dims, targets=spec["targets"], threads=threads,
                   device=device, classes=spec.get("classes"), class_weights=spec.get("class_weights"))
    except TrainingError as exc:
        raise InputError(source, f"seed {seed}: {exc}") from None
