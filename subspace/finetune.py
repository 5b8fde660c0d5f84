"""Fine-tune wav2vec 2.0 end to end on Mimic-style data with the batch-level Pearson loss.

Data: one audio file per video (``<audio_dir>/<video id>.wav``), the Mimic partition file and
``labels.csv`` (3 targets). Model: a local wav2vec 2.0 folder (``save_pretrained`` layout, with its
feature extractor), the final layer's hidden states mean-pooled over valid frames, then a small head
(Linear -> ReLU -> Linear) to the targets. Two variants: ``full`` (the head sees every hidden
dimension) and the sub-space variant, whose head sees only a selection JSON's ``kept`` dimensions of
the final layer. The CNN feature encoder can be frozen (``freeze_feature_encoder``), so only the
transformer and the head train.

Every epoch ends with an atomic checkpoint (model, optimiser, history, best-on-devel state); a
rerun with the same settings resumes after the last completed epoch. Randomness is re-seeded per
epoch (batch order, dropout, SpecAugment masks), so a resumed run equals an uninterrupted one.

``build_tiny_wav2vec2`` and ``make_demo_audio`` make a randomly initialised tiny model and WAV
clips with planted labels, so the step runs offline on the demo and in the tests.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import torch
from torch import nn

from . import gpu, metrics
from .config.model import Config, Finetune, default
from .atomic import atomic_path, read_json, write_csv, write_json
from .data import mimic_label, mimic_labels, read_csv, read_partition
from .errors import InputError
from .loss import pearson_loss
from .media import read_wav
from .store import config_hash
from .train import set_determinism

log = logging.getLogger(__name__)


@dataclass
class FinetuneConfig:
    targets: list[str] = field(default_factory=lambda: ["Approval_", "Disappointment_", "Uncertainty_"])
    batch_size: int = default(Finetune, "batch_size")
    max_epochs: int = default(Finetune, "max_epochs")
    lr: float = default(Finetune, "lr")
    head_dim: int = default(Finetune, "head_dim")
    freeze_feature_encoder: bool = default(Finetune, "freeze_feature_encoder")
    max_seconds: float = default(Finetune, "max_seconds")
    seed: int = default(Config, "seeds")[0]
    device: str = default(Finetune, "device")  # "auto": CUDA when available, else CPU


# ----------------------------------------------------------------------------------------- data
@dataclass
class Clips:
    ids: list[str]
    partitions: np.ndarray
    audio: list[np.ndarray]
    labels: np.ndarray  # (n, targets), NaN where test labels are withheld

    def subset(self, partition: str) -> "Clips":
        idx = np.flatnonzero(self.partitions == partition)
        return Clips([self.ids[i] for i in idx], self.partitions[idx], [self.audio[i] for i in idx],
                     self.labels[idx])


def read_audio(path: Path, sampling_rate: int, max_seconds: float) -> np.ndarray:
    """A clip as the model hears it: mono, at its sampling rate, at most ``max_seconds`` long."""
    audio = read_wav(path, sampling_rate)
    if len(audio) < sampling_rate // 10:
        raise InputError(path, f"only {len(audio)} samples; need at least 0.1 s of audio")
    return audio[: int(max_seconds * sampling_rate)]


def load_clips(partition_file, label_file, audio_dir, targets: list[str], sampling_rate: int,
               max_seconds: float) -> Clips:
    partition_of = read_partition(Path(partition_file))
    label_of = mimic_labels(Path(label_file), targets, partition_of)  # the decoders' label reader and checks
    ids, parts, audio, labels = [], [], [], []
    for video, partition in sorted(partition_of.items()):
        labels.append(mimic_label(label_of, video, partition, targets, label_file))
        ids.append(video)
        parts.append(partition)
        audio.append(read_audio(Path(audio_dir) / f"{video}.wav", sampling_rate, max_seconds))
    parts = np.asarray(parts, dtype=object)
    for partition in ("train", "devel"):
        if (parts == partition).sum() < 2:
            raise InputError(partition_file, f"the {partition} partition needs at least 2 videos")
    return Clips(ids, parts, audio, np.asarray(labels, np.float32))


# ---------------------------------------------------------------------------------------- model
def load_pretrained(model_dir):
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model
    try:
        extractor = Wav2Vec2FeatureExtractor.from_pretrained(model_dir, local_files_only=True)
        encoder = Wav2Vec2Model.from_pretrained(model_dir, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise InputError(model_dir, f"not a local wav2vec 2.0 model folder (config.json, weights, "
                         f"preprocessor_config.json): {exc}") from None
    return extractor, encoder


class Wav2Vec2Regressor(nn.Module):
    """wav2vec 2.0 -> mean over valid frames of the final layer -> (kept dims) -> FF head."""

    def __init__(self, encoder: nn.Module, n_targets: int, head_dim: int, dims: list[int] | None = None):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        if dims is not None:
            bad = [d for d in dims if not 0 <= d < hidden]
            if bad or not dims:
                raise ValueError(f"kept dimensions {bad[:5] or dims} do not fit the final hidden size {hidden}")
        self.register_buffer("dims", None if dims is None else torch.as_tensor(dims, dtype=torch.long))
        d_in = hidden if dims is None else len(dims)
        self.head = nn.Sequential(nn.Linear(d_in, head_dim), nn.ReLU(), nn.Linear(head_dim, n_targets))

    def forward(self, input_values, lengths, attention_mask=None):
        h = self.encoder(input_values, attention_mask=attention_mask).last_hidden_state
        frames = self.encoder._get_feat_extract_output_lengths(lengths).clamp(min=1, max=h.shape[1])
        mask = (torch.arange(h.shape[1], device=h.device)[None, :] < frames[:, None]).to(h.dtype)
        pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        if self.dims is not None:
            pooled = pooled[:, self.dims]
        return self.head(pooled)


def batch_inputs(extractor, audio: list[np.ndarray], device):
    enc = extractor(audio, sampling_rate=extractor.sampling_rate, padding=True, return_tensors="pt",
                    return_attention_mask=True)
    lengths = torch.as_tensor([len(a) for a in audio], dtype=torch.long, device=device)
    mask = enc["attention_mask"].to(device) if extractor.return_attention_mask else None
    return enc["input_values"].to(device), lengths, mask


def predict(model, extractor, clips: Clips, batch_size: int, device) -> np.ndarray:
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(clips.audio), batch_size):
            outs.append(model(*batch_inputs(extractor, clips.audio[i:i + batch_size], device)).cpu())
    return torch.cat(outs).numpy()


def epoch_batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A shuffled split into ceil(n / batch_size) near-equal batches: none smaller than 2 when n >= 2."""
    order = rng.permutation(n)
    return [b for b in np.array_split(order, max(1, math.ceil(n / batch_size))) if len(b)]


def train_epoch(model, extractor, optimiser, train: Clips, cfg: FinetuneConfig, epoch: int, device) -> float:
    """One pass over the training clips; returns the mean batch Pearson loss."""
    seed = cfg.seed * 1000 + epoch
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)  # SpecAugment masks in transformers use numpy's global RNG
    model.train()
    if cfg.freeze_feature_encoder:
        model.encoder.freeze_feature_encoder()
    labels = torch.as_tensor(train.labels, dtype=torch.float32, device=device)
    losses = []
    for idx in epoch_batches(len(train.audio), cfg.batch_size, np.random.default_rng(seed)):
        optimiser.zero_grad()
        pred = model(*batch_inputs(extractor, [train.audio[i] for i in idx], device))
        loss = pearson_loss(pred, labels[torch.as_tensor(idx, device=device)])
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return float(np.mean(losses))


# ------------------------------------------------------------------------------------- training
def run(model_dir, clips: Clips, cfg: FinetuneConfig, out_dir, dims: list[int] | None = None,
        threads: int = 1, device=None) -> dict:
    """Fine-tune, resuming from ``out_dir/checkpoint.pt`` when its settings match; write the outputs.

    Outputs in ``out_dir``: ``model.pt`` (best-devel weights), ``predictions.csv`` (same columns as
    the decoders', so late fusion can use it), ``metrics.json`` and ``loss_curve.png``.
    """
    out_dir = Path(out_dir)
    device = gpu.resolve_device(cfg.device) if device is None else torch.device(device)
    set_determinism(cfg.seed, threads)
    extractor, encoder = load_pretrained(model_dir)
    model = Wav2Vec2Regressor(encoder, len(cfg.targets), cfg.head_dim, dims).to(device)
    if cfg.freeze_feature_encoder:
        model.encoder.freeze_feature_encoder()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    train, devel = clips.subset("train"), clips.subset("devel")
    if len(train.audio) < 2:
        raise ValueError("fine-tuning needs at least 2 training clips")
    spec_hash = config_hash({"cfg": asdict(cfg), "model": str(model_dir), "dims": dims,
                             "ids": clips.ids, "labels": np.nan_to_num(clips.labels).round(6).tolist()})
    ckpt_path = out_dir / "checkpoint.pt"
    state = {"epoch": 0, "history": [], "best_score": -np.inf, "best_epoch": 0, "best_state": None}
    if ckpt_path.exists():
        ckpt = read_checkpoint(ckpt_path, device)
        if ckpt.get("spec_hash") == spec_hash:
            try:
                model.load_state_dict(ckpt["model"])
                optimiser.load_state_dict(ckpt["optimizer"])
                state = ckpt["state"]
            except (KeyError, RuntimeError, ValueError) as exc:
                raise InputError(ckpt_path, f"not a resumable checkpoint of this run (delete it to start afresh): "
                                            f"{type(exc).__name__}: {exc}") from None
            log.info("resuming from %s after epoch %d", ckpt_path, state["epoch"])
        else:
            log.info("ignoring %s: it was written with other settings", ckpt_path)
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log.info("fine-tuning %s on %s: %d train / %d devel clips, %d trainable parameters, head on %s dims",
             model_dir, device, len(train.audio), len(devel.audio), n_trainable,
             "all" if dims is None else len(dims))
    for epoch in range(state["epoch"] + 1, cfg.max_epochs + 1):
        start = time.perf_counter()
        train_loss = train_epoch(model, extractor, optimiser, train, cfg, epoch, device)
        pred = predict(model, extractor, devel, cfg.batch_size, device)
        devel_r = metrics.mean_pearson(devel.labels, pred)
        devel_loss = float(pearson_loss(torch.as_tensor(pred, dtype=torch.float64),
                                        torch.as_tensor(devel.labels, dtype=torch.float64)))
        state["history"].append({"epoch": epoch, "train_loss": train_loss, "devel_loss": devel_loss,
                                 "devel_pearson": devel_r, "seconds": time.perf_counter() - start})
        if devel_r > state["best_score"]:
            state.update(best_score=devel_r, best_epoch=epoch,
                         best_state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
        state["epoch"] = epoch
        with atomic_path(ckpt_path) as tmp:
            torch.save({"spec_hash": spec_hash, "model": model.state_dict(), "optimizer": optimiser.state_dict(),
                        "state": state}, tmp)
        log.info("epoch %d/%d  train Pearson loss %.4f  devel Pearson loss %.4f (r %.4f)  (%.1f s)", epoch,
                 cfg.max_epochs, train_loss, devel_loss, devel_r, state["history"][-1]["seconds"])
    model.load_state_dict(state["best_state"])
    rows, scores = [], {}
    for partition in ("train", "devel", "test"):
        part = clips.subset(partition)
        if not part.ids:
            continue
        pred = predict(model, extractor, part, cfg.batch_size, device)
        if not np.isnan(part.labels).any():
            scores[partition] = metrics.mean_pearson(part.labels, pred)
        for i, sid in enumerate(part.ids):
            row = {"sample_id": sid, "partition": partition}
            for k, t in enumerate(cfg.targets):
                row[f"label_{t}"] = part.labels[i, k]
                row[f"pred_{t}"] = pred[i, k]
            rows.append(row)
    record = {"metric": "pearson", "scores": scores, "seed": cfg.seed, "best_epoch": state["best_epoch"],
              "epochs": state["epoch"], "history": state["history"], "config": asdict(cfg),
              "model": str(model_dir), "device": str(device), "n_dims": None if dims is None else len(dims),
              "trainable_parameters": n_trainable,
              "train_seconds": float(sum(h["seconds"] for h in state["history"]))}
    with atomic_path(out_dir / "model.pt") as tmp:
        torch.save({"state_dict": state["best_state"], "dims": dims, "config": asdict(cfg),
                    "model": str(model_dir)}, tmp)
    write_csv(out_dir / "predictions.csv", pd.DataFrame(rows), float_format=None)
    loss_curve(state["history"], out_dir / "loss_curve.png",
               f"wav2vec 2.0 fine-tuning ({'full' if dims is None else f'{len(dims)} kept dims'})")
    write_json(out_dir / "metrics.json", record)
    ckpt_path.unlink()  # finished: the next run starts fresh
    return record


def read_checkpoint(path, device="cpu") -> dict:
    """A resume checkpoint (or model.pt), read with ``weights_only=True``: only tensors and plain values load, so a
    tampered file in a results folder is refused instead of run. Every value this module saves is plain."""
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError ... for a bad file
        raise InputError(path, f"cannot read the checkpoint safely (truncated, tampered with, or written by an older "
                               f"version: delete it to start afresh): {type(exc).__name__}: "
                               f"{str(exc).splitlines()[0][:300]}") from None
    if not isinstance(ckpt, dict):
        raise InputError(path, f"not a checkpoint (a {type(ckpt).__name__}, not a dict)")
    return ckpt


def loss_curve(history: list[dict], path, title: str) -> None:
    from .plot import save_figure  # first: it selects the Agg backend

    import matplotlib.pyplot as plt
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="train (mean over batches)")
    ax.plot(epochs, [h["devel_loss"] for h in history], "s--", label="devel (whole partition)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("Pearson loss (1 − r, mean over targets)")
    ax.set_xticks(epochs)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, [path])


def read_kept(selection_file) -> list[int]:
    try:
        kept = read_json(selection_file)["kept"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(selection_file, f"not a selection JSON with 'kept' indices: {exc}") from None
    if not kept:
        raise InputError(selection_file, "keeps no dimensions")
    return [int(k) for k in kept]


# ------------------------------------------------------------------------------ offline demo data
# 80x downsampling (strides 5 * 4 * 4): a 0.5 s demo clip at 16 kHz becomes 100 frames
TINY_CONV = {"conv_kernel": (10, 4, 4), "conv_stride": (5, 4, 4), "conv_bias": True}


def build_tiny_wav2vec2(path, hidden_size: int = 32, sampling_rate: int = 16000, seed: int = 0) -> None:
    """A randomly initialised tiny wav2vec 2.0 (+ feature extractor) in ``save_pretrained`` layout."""
    from .tiny_models import build
    build("wav2vec2", path, seed=seed, hidden=hidden_size, sampling_rate=sampling_rate, **TINY_CONV)


TONES_HZ = (220.0, 660.0, 1760.0, 3520.0)


def make_demo_audio(partition_file, label_file, audio_dir, targets: list[str], seconds: float,
                    sampling_rate: int, seed: int) -> None:
    """One WAV per video: target k's label sets the loudness of tone k (plus noise), so it is learnable."""
    if len(targets) > len(TONES_HZ):
        raise ValueError(f"the demo audio encodes at most {len(TONES_HZ)} targets")
    partition_of = read_partition(Path(partition_file))
    label_df = read_csv(Path(label_file), ("filename", *targets), dtype={"filename": str})
    label_of = dict(zip(label_df["filename"].astype(str).str.strip('"'), label_df[list(targets)].to_numpy(np.float64)))
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sampling_rate)) / sampling_rate
    for video in sorted(partition_of):
        y = np.clip(np.nan_to_num(label_of.get(video, np.full(len(targets), 0.5)), nan=0.5), 0, 1)
        wave = 0.2 * rng.standard_normal(len(t))
        for k, level in enumerate(y):
            wave += (0.05 + 0.6 * level) * np.sin(2 * np.pi * TONES_HZ[k] * t + rng.uniform(0, 2 * np.pi))
        path = Path(audio_dir) / f"{video}.wav"
        with atomic_path(path) as tmp:
            sf.write(str(tmp), (0.25 * wave).astype(np.float32), sampling_rate, format="WAV", subtype="PCM_16")
