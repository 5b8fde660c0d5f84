"""Seconds of the statistical rankings, exact (before issue 22) vs this checkout, and IG on the same store.

    python benchmarks/rank_speed.py --store minilm               # 23,176 one-row samples x 384, 3 targets
    python benchmarks/rank_speed.py --store humor                # 1,260 samples x 4 rows x 1024, binary
    python benchmarks/rank_speed.py --store minilm --targets 1 --methods mutual_info     # one part at a time
    python benchmarks/rank_speed.py --store minilm --methods --steps    # the rank step vs the attribute step

``exact`` is ``statistical_scores`` of commit 268a64b (loaded from git, so run this in a clone); ``fast`` is
this checkout's. Per method: seconds, and the Jaccard of the two top-k sets at 10%, 20% and 30% of the
dimensions (the sweep's k). With ``--steps``, the whole rank step (``evaluate.compute_rankings``, every
method: IG's order, random, Saliency, Input x Gradient and the statistical ones) beside the attribute step
(``attribute.attribute_sequences``: IG, 50 Gauss-Legendre steps) on the same training samples, both
explaining the baseline decoder trained for one epoch: the rank step should cost no more.

Synthetic stores of real size, float32, 1 thread. ``minilm``: sentence-embedding-like, one row per sample,
dimensions of std 0.04-0.1 (two of rounding noise, one near-constant) sharing 24 latent factors (mean |r|
between dimensions ~0.15), each target a noisy sigmoid of a linear mix (weights decaying over a random
order of the dimensions; R^2 0.2). ``humor``: 2-s windows of
4 rows, a binary label that shifts the window means of a graded set of dimensions and the spread of a few.
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from subspace import attribute, evaluate, statistical, train  # noqa: E402
from subspace.decoder import DecoderConfig  # noqa: E402
from subspace.store import Embeddings  # noqa: E402

EXACT_COMMIT = "268a64b"
FRACTIONS = (0.1, 0.2, 0.3)


def module_at(commit: str, name: str, folder: Path):
    """``subspace/<name>.py`` as it was at ``commit``, imported inside the ``subspace`` package."""
    path = folder / f"{name}_{commit}.py"
    path.write_text(subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:subspace/{name}.py"],
                                   check=True, capture_output=True, text=True).stdout)
    spec = importlib.util.spec_from_file_location(f"subspace.{name}_{commit}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def minilm_store(n: int, dim: int, n_targets: int, rng) -> Embeddings:
    scales = rng.uniform(0.04, 0.1, dim)
    scales[[7, 200]], scales[99] = 1e-32, 1e-7  # rounding noise, near-constant (as the real store)
    shared = rng.standard_normal((n, 24)) @ rng.standard_normal((24, dim)) * 0.6  # correlated, as embeddings are
    x = (shared + rng.standard_normal((n, dim))) / np.sqrt(1 + 24 * 0.36) * scales
    weights = rng.standard_normal((dim, n_targets)) * np.exp(-rng.permutation(dim) / 40.0)[:, None] / scales[:, None]
    weights[[7, 99, 200]] = 0.0
    z = x @ weights
    z = z / z.std(0) * 0.5 + rng.standard_normal(z.shape)  # R^2 = 0.2 per target
    labels = (1 / (1 + np.exp(-z))).astype(np.float32)
    return Embeddings(list(x.astype(np.float32)[:, None, :]), [np.zeros(1, np.int64)] * n,
                      np.array([f"s{i:05d}" for i in range(n)]), np.array(["train"] * n), labels,
                      [f"d{i}" for i in range(dim)])


def humor_store(n: int, dim: int, rng) -> Embeddings:
    y = rng.integers(0, 2, n)
    shift = np.zeros(dim)
    shift[rng.permutation(dim)[:200]] = 0.3 * np.exp(-np.arange(200) / 50.0)
    spread = np.ones(dim)
    spread[rng.permutation(dim)[:20]] = 1.3
    seqs = [((rng.standard_normal((4, dim)) * np.where(label, spread, 1.0)) + label * shift).astype(np.float32)
            for label in y]
    return Embeddings(seqs, [np.arange(4) * 500] * n, np.array([f"s{i:05d}" for i in range(n)]),
                      np.array(["train"] * n), y[:, None].astype(np.float32), [f"d{i}" for i in range(dim)])


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def step_seconds(emb: Embeddings, task_type: str, threads: int = 1) -> dict:
    """The rank step (``evaluate.compute_rankings``, every method) and the attribute step
    (``attribute.attribute_sequences``: IG, 50 Gauss-Legendre steps) on the same training samples, with the
    baseline decoder trained for one epoch (its checkpoint is what both steps explain)."""
    train.set_determinism(0, threads)
    dec = DecoderConfig(d_in=emb.dim, n_targets=emb.labels.shape[1])
    both = Embeddings(emb.sequences, emb.timestamps, emb.sample_ids,
                      np.where(np.arange(len(emb.sample_ids)) % 5 == 0, "devel", "train"), emb.labels, emb.dim_names)
    model = train.train_decoder(both, dec, train.TrainConfig(task_type=task_type, max_epochs=1))["model"]
    stats, ig_s = timed(attribute.attribute_sequences, model, emb.sequences, attribute.AttributionConfig(), False)
    with tempfile.TemporaryDirectory() as tmp:
        train.save_checkpoint(Path(tmp) / "model.pt", model, None, None, None, task_type)
        ig = {"mean": stats["mean"], "dim_names": emb.dim_names, "attrs": {"model": tmp}}
        rankings, rank_s = timed(evaluate.compute_rankings, emb, ig, list(evaluate.METHODS), task_type, 0, 128,
                                 threads)
    left_out = [m for m, r in rankings["methods"].items() if r.get("left_out")]
    return {"attribute": ig_s, "rank": rank_s, "left_out": left_out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", choices=["minilm", "humor"], required=True)
    ap.add_argument("--samples", type=int, help="default: 23,176 (minilm), 1,260 (humor)")
    ap.add_argument("--targets", type=int, default=3, help="minilm: regression targets")
    ap.add_argument("--methods", nargs="*", default=list(statistical.STATISTICAL_METHODS), help="none: IG only")
    ap.add_argument("--no-exact", action="store_true", help="skip the exact (old) estimators")
    ap.add_argument("--steps", action="store_true",
                    help="also time the whole rank step (every method) against the attribute step")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="  %(message)s")  # compute_rankings: seconds per method
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    if args.store == "minilm":
        emb, task_type = minilm_store(args.samples or 23176, 384, args.targets, rng), "regression"
    else:
        emb, task_type = humor_store(args.samples or 1260, 1024, rng), "binary"
    print(f"{args.store}: {len(emb.sequences):,} samples x {len(emb.sequences[0])} rows x {emb.dim} dims, "
          f"{task_type} ({emb.labels.shape[1]} targets), 1 thread\n")
    with tempfile.TemporaryDirectory() as tmp:
        exact = None if args.no_exact else module_at(EXACT_COMMIT, "evaluate", Path(tmp))
    at = " / ".join(f"{f:.0%}" for f in FRACTIONS)
    print(f"| method | exact s | fast s | speed-up | top-k Jaccard at {at} |")
    print("|---|---|---|---|---|")
    total = 0.0
    for method in args.methods:
        fast, fast_s = timed(statistical.statistical_scores, method, emb.sequences, emb.labels, task_type, 0)
        total += fast_s
        if exact is None:
            print(f"| {method} | – | {fast_s:.1f} | – | – |", flush=True)
            continue
        old, old_s = timed(exact.statistical_scores, method, emb.sequences, emb.labels, task_type, 0)
        ks = [evaluate.resolve_k(f, emb.dim) for f in FRACTIONS]
        jaccards = [evaluate.jaccard(evaluate.top_k(old, k), evaluate.top_k(fast, k)) for k in ks]
        print(f"| {method} | {old_s:.1f} | {fast_s:.1f} | {old_s / fast_s:.1f}x | "
              + " / ".join(f"{j:.3f}" for j in jaccards) + " |", flush=True)
    if args.methods:
        print(f"\nstatistical rankings, this checkout ({', '.join(args.methods)}): {total:.1f} s")
    if args.steps:
        steps = step_seconds(emb, task_type)
        print(f"rank step (evaluate.compute_rankings, all {len(evaluate.METHODS)} methods; left out: "
              f"{', '.join(steps['left_out']) or 'none'}): {steps['rank']:.1f} s")
        print(f"attribute step (IG over the {len(emb.sequences):,} training samples): {steps['attribute']:.1f} s")

if __name__ == "__main__":
    main()
