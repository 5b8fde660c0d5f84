"""Seconds per decoder epoch: this checkout's batching against the two earlier ones (issue 22 item 8).

    python benchmarks/train_speed.py                      # 13,900 train + 4,000 devel samples of ~4 x 1024
    python benchmarks/train_speed.py --train 3000 --devel 1000 --epochs 2     # a quick look

Variants, each the real ``train_decoder`` of its commit (loaded from git, so run it in a clone):

- ``padded once`` (1ad6f7c): each partition zero-padded once into one tensor, batches indexed from it, a
  numpy permutation (not the baseline's batch order);
- ``DataLoader`` (268a64b): the baseline's torch DataLoader over indices, each batch padded from its sequences;
- ``this checkout``: the DataLoader's draws reproduced without it, batches gathered from one row tensor.

One synthetic Humor-like store (binary labels, 3-4 rows per sample, float32), the baseline decoder
(model_dim 64, 1 GRU layer) and training (batch 256, devel batches of 512), 1 thread; the variants alternate
``--repeats`` times and the table gives the median epoch (first epochs included). The DataLoader variant
and this checkout must give identical histories (same batch order and dropout masks): checked and printed.
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from subspace import train  # noqa: E402
from subspace.decoder import DecoderConfig  # noqa: E402
from subspace.store import Embeddings  # noqa: E402

BEFORE = {"padded once": "1ad6f7c", "DataLoader": "268a64b"}


def train_module_at(commit: str, folder: Path):
    """``subspace/train.py`` as it was at ``commit``, imported inside the ``subspace`` package."""
    path = folder / f"train_{commit}.py"
    path.write_text(subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:subspace/train.py"],
                                   check=True, capture_output=True, text=True).stdout)
    spec = importlib.util.spec_from_file_location(f"subspace.train_{commit}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def synthetic_store(n_train: int, n_devel: int, dim: int, seed: int = 0) -> Embeddings:
    rng = np.random.default_rng(seed)
    n = n_train + n_devel
    labels = rng.integers(0, 2, (n, 1)).astype(np.float32)
    lengths = rng.choice([3, 4], size=n, p=[0.1, 0.9])  # 2-s windows of 500-ms rows, a few cut short
    seqs = [(rng.standard_normal((t, dim)) + 0.3 * y).astype(np.float32) for t, y in zip(lengths, labels[:, 0])]
    return Embeddings(seqs, [np.arange(t) * 500 for t in lengths], np.array([f"s{i:05d}" for i in range(n)]),
                      np.array(["train"] * n_train + ["devel"] * n_devel), labels, [f"d{i}" for i in range(dim)])


def epochs(module, emb: Embeddings, epochs: int, seed: int) -> dict:
    """One training of ``epochs`` epochs with ``module``'s train_decoder (same seed, same decoder)."""
    cfg = module.TrainConfig(task_type="binary", lr=1e-4, batch_size=256, max_epochs=epochs, seed=seed)
    train.set_determinism(seed, 1)
    dec = DecoderConfig(d_in=emb.dim)  # the baseline's: model_dim 64, 1 GRU layer, d_fc_out 64
    start = time.perf_counter()
    result = module.train_decoder(emb, dec, cfg)
    return {"epoch_seconds": result["epoch_seconds"], "history": result["history"],
            "total": time.perf_counter() - start}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=int, default=13900)
    ap.add_argument("--devel", type=int, default=4000)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(1)
    emb = synthetic_store(args.train, args.devel, args.dim)
    with tempfile.TemporaryDirectory() as tmp:
        variants = {name: train_module_at(commit, Path(tmp)) for name, commit in BEFORE.items()}
    variants["this checkout"] = train
    runs = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, module in variants.items():
            runs[name].append(epochs(module, emb, args.epochs, seed=101))
    dataloader, ours = runs["DataLoader"][0]["history"], runs["this checkout"][0]["history"]
    identical = dataloader == ours
    print(f"{args.train:,} train + {args.devel:,} devel samples of 3-4 x {args.dim}, {args.epochs} epochs x "
          f"{args.repeats} repeats, 1 thread")
    print(f"DataLoader and this checkout give identical histories (losses, devel AUC, lr): {identical}\n")
    print("| batching | s/epoch (median) | min | max | s per training incl. setup (median) |")
    print("|---|---|---|---|---|")
    reference = float(np.median([s for r in runs["DataLoader"] for s in r["epoch_seconds"]]))
    for name, rs in runs.items():
        seconds = [s for r in rs for s in r["epoch_seconds"]]
        median = float(np.median(seconds))
        print(f"| {name} | {median:.3f} ({median / reference:.2f}x DataLoader) | {min(seconds):.3f} "
              f"| {max(seconds):.3f} | {np.median([r['total'] for r in rs]):.2f} |")
    if not identical:
        sys.exit("the DataLoader batching and this checkout's differ")


if __name__ == "__main__":
    main()
