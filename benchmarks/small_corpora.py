"""Small corpora: how many planted dimensions IG finds with the baseline's batch and lr against smaller batches.

One vector per sample (a pre-extracted utterance embedding: a one-row sequence), 64 dimensions, 10 of them
carrying a binary label (+0.8 per unit), 48 training and 24 devel samples. For each setting and data seed: the
baseline's decoder (defaults: model_dim 64, patience 15, 100 epochs) trained with one seed, IG of its
training samples, the `mean` threshold's selection; printed: optimisation steps per epoch, devel AUC and
planted dimensions recovered (of 10), each as the mean over the data seeds.

    python benchmarks/small_corpora.py
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from subspace import attribute, select, train
from subspace.store import Embeddings

DIM, PLANTED, TRAIN, DEVEL, SIGNAL = 64, 10, 48, 24, 0.8
SETTINGS = {"baseline: batch 256, lr 1e-4": (256, 1e-4), "batch 16, lr 1e-4": (16, 1e-4),
            "batch 16, lr 3e-3": (16, 3e-3), "batch 8, lr 3e-3": (8, 3e-3)}
DATA_SEEDS = (0, 1, 2, 3, 4)


def vectors(seed: int) -> Embeddings:
    rng = np.random.default_rng(seed)
    n = TRAIN + DEVEL
    y = np.tile([0.0, 1.0], n // 2)[rng.permutation(n)].astype(np.float32)[:, None]
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    x[:, :PLANTED] += SIGNAL * y
    return Embeddings([row[None] for row in x], [np.zeros(1, np.int64)] * n,
                      np.array([f"u{i}" for i in range(n)], dtype=object),
                      np.array(["train"] * TRAIN + ["devel"] * DEVEL, dtype=object), y, [f"d{i}" for i in range(DIM)])


def run(batch_size: int, lr: float, seed: int, folder: Path) -> tuple[int, float, int]:
    emb = vectors(seed)
    record = train.run(emb, {}, train.TrainConfig("binary", lr=lr, batch_size=batch_size, seed=101), folder)
    ckpt = train.load_checkpoint(folder / "model.pt")
    stats = attribute.attribute_sequences(ckpt["model"], emb.subset("train").sequences, attribute.AttributionConfig(),
                                          progress=False)
    kept = select.select_dims(stats["mean"], "mean")
    return record["steps_per_epoch"], record["scores"]["devel"], len(set(kept.tolist()) & set(range(PLANTED)))


def main() -> None:
    print(f"| setting | steps/epoch | devel AUC | planted found (of {PLANTED}) |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (batch_size, lr) in SETTINGS.items():
            runs = [run(batch_size, lr, s, Path(tmp) / f"{batch_size}_{lr}_{s}") for s in DATA_SEEDS]
            steps, auc, found = (np.mean([r[i] for r in runs]) for i in range(3))
            print(f"| {name} | {steps:.0f} | {auc:.3f} | {found:.1f} ({', '.join(str(r[2]) for r in runs)}) |")


if __name__ == "__main__":
    main()
