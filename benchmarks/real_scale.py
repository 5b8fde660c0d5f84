"""The post-extraction steps of the paper's grid on synthetic data at MuSe sizes: wall time and peak RSS per step,
and the extrapolation to the whole grid on this box.

Each step is one process, as a workflow job is (``python -m subspace <command>`` where there is one); its wall
time is measured around it and its peak RSS is its own (``os.wait4``'s rusage of that child). Steps per task:
store write (synthetic sequences -> ``store.write_embeddings``), store read, train the full decoder (one seed),
attribute (Integrated Gradients over the training partition), select (``mean`` threshold), train the reduced
decoder; for Humor also the paper's reduced wav2vec 2.0 decoder on 216 of 1024 dimensions.

Assumptions (all options):
- Humor: MuSe-Humor 2023, ~10 h of German train+devel and ~6.5 h of English test in 2-s segments, so
  12,600 train / 5,400 devel (70:30 of the German part) / 11,700 test samples, each 4 rows (2 s of 500-ms
  rows) of a 1024-d wav2vec 2.0 feature; binary label, 20% positive, planted in 16 dimensions.
- Mimic: ~18,000 videos (~30 h), split 8,000 / 5,000 / 5,000; rows of 500 ms, the count per video
  log-normal with mean 12 rows (median 8.7, sigma 0.8: a long tail), clipped to [1, 360] (3 min); 1024-d;
  3 regression targets planted in 16 dimensions.
- Decoders: the paper's wav2vec 2.0 decoder for both tasks (model_dim 128, 2 GRU layers, d_fc_out 64), batch
  size 256, the baseline's training defaults otherwise. ``--mimic-decoder '{"model_dim": 256, "rnn_layers": 4, "bidirectional": true, "d_fc_out": 64}'``
  measures the largest baseline setting (about 8x the GRU cost: too slow for a short run on 2 shared cores).
- The grid: per task ``--features`` features (all assumed 1024-d: an upper bound, BERT/ViT are 768-d),
  ``--seeds`` seeds x (full + ``--thresholds`` reduced decoders), one attribution and one selection per threshold
  per feature, ``--grid-epochs`` epochs per training run (the baseline's early stopping usually ends sooner);
  reduced decoders are assumed to cost what the measured ``mean`` one did. Fusion (a logistic regression / NNLS
  on a few thousand predictions) is not measured: seconds.
- Scaling to ``--scale`` 1: per-step seconds beyond the process start-up (import torch + subspace, measured)
  grow linearly with the number of samples and training with the epochs; peak RSS is reported as measured.

    nice -n 10 python benchmarks/real_scale.py --scale 0.1 --epochs 2     # ~5 min on 2 busy cores
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {"humor": {"train": 12_600, "devel": 5_400, "test": 11_700},
         "mimic": {"train": 8_000, "devel": 5_000, "test": 5_000}}
MIMIC_ROWS = {"mean": 12.0, "sigma": 0.8, "max": 360}
DECODERS = {"humor": {"model_dim": 128, "rnn_layers": 2, "bidirectional": False, "d_fc_out": 64},
            "mimic": {"model_dim": 128, "rnn_layers": 2, "bidirectional": False, "d_fc_out": 64}}
DIM, PLANTED, PAPER_KEPT = 1024, 16, 216


def row_counts(task: str, n: int, rng) -> np.ndarray:
    if task == "humor":
        return np.full(n, 4)
    mu = np.log(MIMIC_ROWS["mean"]) - MIMIC_ROWS["sigma"] ** 2 / 2
    return np.clip(np.round(rng.lognormal(mu, MIMIC_ROWS["sigma"], n)), 1, MIMIC_ROWS["max"]).astype(int)


def make_store(task: str, scale: float, out: str) -> dict:
    """Synthetic sequences at the task's sizes -> an embedding store; returns the write time and sizes."""
    from subspace.store import Embeddings, write_embeddings
    rng = np.random.default_rng(0)
    sizes = {p: max(8, int(round(n * scale))) for p, n in SIZES[task].items()}
    n = sum(sizes.values())
    partitions = np.repeat(list(sizes), list(sizes.values())).astype(object)
    lengths = row_counts(task, n, rng)
    n_targets = 1 if task == "humor" else 3
    planted = rng.choice(DIM, PLANTED, replace=False)
    seqs, labels = [], np.zeros((n, n_targets), np.float32)
    for i, t in enumerate(lengths):
        x = rng.standard_normal((t, DIM), dtype=np.float32)
        if task == "humor":
            y = float(rng.random() < 0.2)
            x[:, planted] += 0.5 * y
            labels[i] = y
        else:
            y = rng.random(n_targets).astype(np.float32)
            x[:, planted] += 0.5 * np.resize(y, PLANTED)
            labels[i] = y
        seqs.append(x)
    emb = Embeddings(seqs, [np.arange(t, dtype=np.int64) * 500 for t in lengths],
                     np.array([f"s{i}" for i in range(n)], dtype=object), partitions, labels,
                     [f"w2v_{i}" for i in range(DIM)], {"task": task, "feature": "w2v"})
    start = time.perf_counter()
    write_embeddings(out, emb)
    return {"write_s": time.perf_counter() - start, "samples": sizes, "rows": int(lengths.sum()),
            "max_rows": int(lengths.max()), "bytes": os.path.getsize(out)}


def read_store(path: str) -> dict:
    from subspace.store import read_embeddings
    start = time.perf_counter()
    emb = read_embeddings(path)
    return {"read_s": time.perf_counter() - start, "samples": len(emb.sample_ids)}


def measured(cmd: list[str], env: dict) -> dict:
    """Run one step as a child process: wall seconds, its own peak RSS (MB), and its stdout's last line."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=stderr, text=True, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (RUSAGE_CHILDREN would be the max of all)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0), stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if proc.returncode:
        raise SystemExit(f"step failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "stdout": out.strip().splitlines()[-1] if out.strip() else ""}


def run_task(task: str, args, work: Path, env: dict, startup_s: float) -> list[dict]:
    py, store = sys.executable, str(work / f"{task}.h5")
    me = str(Path(__file__).resolve())
    steps = []

    def step(name, cmd, scales=True, epochs_of=None, fixed_s=startup_s):
        r = measured(cmd, env)
        r.update(task=task, step=name, scales=scales, fixed_s=fixed_s)
        if epochs_of:
            r["metrics"] = json.loads((Path(epochs_of) / "metrics.json").read_text())
        steps.append(r)
        print(f"# {task} {name}: {r['wall_s']:.1f} s, {r['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
        return r

    # the store steps run this script (no torch import): all of their time grows with the samples
    made = step("store write", [py, me, "_make", task, str(scale_of(task, args)), store], fixed_s=0.0)
    made["info"] = json.loads(made["stdout"])
    step("store read", [py, me, "_read", store], fixed_s=0.0)["info"] = json.loads(steps[-1]["stdout"])
    targets = ["humor"] if task == "humor" else ["approval", "disappointment", "uncertainty"]
    decoder = json.loads(args.mimic_decoder) if task == "mimic" and args.mimic_decoder else DECODERS[task]
    spec = json.dumps({"task_type": "binary" if task == "humor" else "regression", "decoder": decoder,
                       "targets": targets,
                       "train": {"batch_size": 256, "max_epochs": args.epochs,
                                 "early_stopping_patience": args.epochs + 1, "reduce_lr_patience": args.epochs + 1}})
    threads = str(args.threads)
    full = work / task / "full"
    step("train full (1 seed)", [py, "-m", "subspace", "train", "--embeddings", store, "--spec", spec, "--seed", "1",
                                 "--out-dir", str(full), "--threads", threads], epochs_of=full)
    attr = work / task / "attr.h5"
    ig = json.dumps({"n_steps": 50, "method": "gausslegendre", "internal_batch_size": 2048, "batch_size": 128,
                     "aggregate": "abs", "interpolate_in": "projection"})
    step("attribute (train partition)", [py, "-m", "subspace", "attribute", "--embeddings", store, "--model-dirs",
                                         str(full), "--spec", ig, "--out", str(attr), "--threads", threads])
    sel = work / task / "mean.json"
    step("select (mean)", [py, "-m", "subspace", "select", "--attributions", str(attr), "--threshold", "mean",
                           "--out", str(sel)], scales=False)
    kept = json.loads(sel.read_text())["n_kept"]
    reduced = work / task / "mean"
    step(f"train reduced ({kept} dims, 1 seed)", [py, "-m", "subspace", "train", "--embeddings", store, "--spec", spec,
                                                  "--seed", "1", "--selection", str(sel), "--out-dir", str(reduced),
                                                  "--threads", threads], epochs_of=reduced)
    steps[-1]["reduced"] = True
    if task == "humor":  # the paper's reduced wav2vec 2.0 decoder: 216 of 1024 dimensions
        paper = work / task / "paper216.json"
        paper.write_text(json.dumps({"kept": list(range(PAPER_KEPT)), "n_kept": PAPER_KEPT}))
        out = work / task / "paper216"
        step(f"train reduced ({PAPER_KEPT} dims, paper)", [py, "-m", "subspace", "train", "--embeddings", store,
                                                           "--spec", spec, "--seed", "1", "--selection", str(paper),
                                                           "--out-dir", str(out), "--threads", threads], epochs_of=out)
        steps[-1]["paper"] = True
    return steps


def scale_of(task: str, args) -> float:
    return args.mimic_scale if task == "mimic" and args.mimic_scale else args.scale


def full_scale_seconds(r: dict, args) -> float:
    """One step's seconds at scale 1 (and, for training, ``--grid-epochs`` epochs); its fixed part (the process
    start-up: import torch, captum, subspace) does not grow with the samples."""
    if not r["scales"]:
        return r["wall_s"]
    scale, fixed = scale_of(r["task"], args), r["fixed_s"]
    if "metrics" in r:
        epochs = r["metrics"]["train_seconds"]
        rest = max(r["wall_s"] - fixed - epochs, 0.0)
        return fixed + (epochs / r["metrics"]["epochs"] * args.grid_epochs + rest) / scale
    return fixed + max(r["wall_s"] - fixed, 0.0) / scale


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_make":
        print(json.dumps(make_store(sys.argv[2], float(sys.argv[3]), sys.argv[4])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_read":
        print(json.dumps(read_store(sys.argv[2])))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=0.1, help="fraction of the MuSe sample counts (1 = full size)")
    p.add_argument("--mimic-scale", type=float, help="Mimic's fraction, where it differs (its IG costs more)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per measured training run")
    p.add_argument("--grid-epochs", type=int, default=30, help="epochs per training run in the extrapolated grid")
    p.add_argument("--tasks", nargs="+", default=["humor", "mimic"], choices=list(SIZES))
    p.add_argument("--features", type=int, default=3, help="features per task in the grid")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--thresholds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mimic-decoder", help="JSON decoder settings for Mimic (default: as Humor's)")
    p.add_argument("--keep", help="keep the work folder here (default: a temporary folder, removed)")
    args = p.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    work = Path(args.keep or tempfile.mkdtemp(prefix="real_scale_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        start = measured([sys.executable, "-c", "import torch, captum, h5py, subspace.train, subspace.attribute"], env)
        startup_s = start["wall_s"]
        steps = [r for task in args.tasks for r in run_task(task, args, work, env, startup_s)]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(steps, args, startup_s, start["peak_rss_mb"])


def report(steps: list[dict], args, startup_s: float, startup_rss: float) -> None:
    print(f"\nscale {args.scale} (Mimic {scale_of('mimic', args)}) of the MuSe sizes, {args.threads} threads, {args.epochs} epochs per measured training "
          f"run; process start-up (import torch, captum, subspace) {startup_s:.1f} s, {startup_rss:.0f} MB\n")
    print("| task | step | samples (train/devel/test) | wall s | peak RSS MB | s/epoch | parameters | "
          f"s at scale 1{f', {args.grid_epochs} epochs' if args.grid_epochs else ''} |")
    print("|---|---|---|---|---|---|---|---|")
    grid = {}
    for r in steps:
        info = next(s["info"] for s in steps if s["task"] == r["task"] and s["step"] == "store write")
        n = "/".join(str(v) for v in info["samples"].values())
        m = r.get("metrics")
        at_scale = full_scale_seconds(r, args)
        print(f"| {r['task']} | {r['step']} | {n} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} | "
              f"{m['median_epoch_seconds']:.2f} | {m['parameters']:,} | {at_scale:.0f} |" if m else
              f"| {r['task']} | {r['step']} | {n} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} | | | {at_scale:.0f} |")
        grid.setdefault(r["task"], {})[r["step"]] = (r, at_scale)
    for task, rows in grid.items():
        info = rows["store write"][0]["info"]
        print(f"\n{task}: {info['rows']:,} rows of {DIM} dims, longest sample {info['max_rows']} rows, "
              f"store {info['bytes'] / 1e6:.0f} MB at this scale")
    print(f"\nWhole grid at scale 1 ({args.features} features per task x ({args.seeds} seeds x (full + "
          f"{args.thresholds} thresholds)) + 1 attribution, {args.thresholds} selections and 1 store per feature; "
          f"{args.grid_epochs} epochs per run; 1 job at a time, {args.threads} threads):\n")
    print("| task | store s | train full s | attribute s | select s | train reduced s | per feature h | grid h |")
    print("|---|---|---|---|---|---|---|---|")
    total = 0.0
    for task, rows in grid.items():
        get = {k.split(" (")[0] if not k.startswith("train reduced") else "reduced": v[1] for k, v in rows.items()
               if "paper" not in k}
        store = get["store write"] + get["store read"]
        per_feature = (store + args.seeds * (get["train full"] + args.thresholds * get["reduced"])
                       + get["attribute"] + args.thresholds * get["select"])
        total += args.features * per_feature
        print(f"| {task} | {store:.0f} | {args.seeds} x {get['train full']:.0f} | {get['attribute']:.0f} | "
              f"{args.thresholds} x {get['select']:.0f} | {args.seeds * args.thresholds} x {get['reduced']:.0f} | "
              f"{per_feature / 3600:.2f} | {args.features * per_feature / 3600:.1f} |")
    print(f"\ntotal: {total / 3600:.1f} h of one {args.threads}-thread job at a time (+ fusion: seconds)"
          + (f"; {total / 3600 / 2:.1f} h with two 1-thread jobs at once on 2 cores" if args.threads == 1 else ""))
    if "humor" in grid:
        full = grid["humor"]["train full (1 seed)"][0]["metrics"]
        paper = next(v[0]["metrics"] for k, v in grid["humor"].items() if "paper" in k)
        print(f"\nHumor wav2vec 2.0 decoder, full ({DIM} dims) vs reduced ({PAPER_KEPT} dims) at the paper's sizes: "
              f"parameters {full['parameters']:,} -> {paper['parameters']:,} "
              f"({100 * (paper['parameters'] / full['parameters'] - 1):+.0f}%; paper -54%), "
              f"s/epoch {full['median_epoch_seconds']:.2f} -> {paper['median_epoch_seconds']:.2f} "
              f"({100 * (paper['median_epoch_seconds'] / full['median_epoch_seconds'] - 1):+.0f}%; paper -48%)")


if __name__ == "__main__":
    main()
