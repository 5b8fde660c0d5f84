"""GPU smoke test: the workflow's torch steps on CUDA, compared with the CPU on the same weights.

    python benchmarks/gpu_smoke.py --out gpu_smoke.json          # on a machine with a CUDA GPU
    python benchmarks/gpu_smoke.py --device cpu --out cpu.json   # the script itself, without a GPU

What it runs, through the same entry points the workflow's jobs use (``python -m subspace <step>``, so
:func:`subspace.torchjob.start` claims the GPU, sets CUBLAS_WORKSPACE_CONFIG and deterministic algorithms):

1. ``train`` a baseline decoder for 2 epochs on the device (a synthetic store, planted signal);
2. ``attribute`` (Integrated Gradients) and ``rank`` (Saliency, Input x Gradient) with that decoder on the
   device and on the CPU: the per-dimension statistics must agree within ``--tolerance`` (relative);
3. the trained decoder's predictions on the device and on the CPU (same weights);
4. one fine-tuning step of a tiny wav2vec 2.0 with the Pearson loss (dropout and SpecAugment off, same
   initial weights and batch) on the device and on the CPU: the loss and the updated head must agree;
5. ``cuda:<index>`` beyond the visible devices is refused with the count (one line, exit 1).

Exit 0 when every comparison is within tolerance; the JSON holds every number and the card's name.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def synthetic_store(path: Path, n=(160, 48, 32), dim=24, steps=(4, 12), seed=0) -> None:
    from subspace.store import Embeddings, RowStats, write_embeddings
    rng = np.random.default_rng(seed)
    seqs, parts, labels = [], [], []
    for partition, count in zip(("train", "devel", "test"), n):
        for _ in range(count):
            y = float(rng.random() < 0.4)
            x = rng.standard_normal((int(rng.integers(*steps)), dim)).astype(np.float32)
            x[:, :4] += 0.8 * (2 * y - 1)
            seqs.append(x), parts.append(partition), labels.append([y])
    rows = RowStats()
    for s, p in zip(seqs, parts):
        if p == "train":
            rows.add(s)
    write_embeddings(path, Embeddings(seqs, [np.arange(len(s)) * 500 for s in seqs],
                                      np.array([f"s{i}" for i in range(len(seqs))], dtype=object),
                                      np.array(parts, dtype=object), np.array(labels, np.float32),
                                      [f"d{i}" for i in range(dim)], {"targets": ["label"]}, train_rows=rows))


def step(name: str, *args: str) -> float:
    """Run one workflow step like a job does; returns its wall time."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "subspace", name, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def relative_gap(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def decoder_checks(work: Path, device: str, report: dict) -> None:
    from subspace import store, train
    from subspace.steps import spec_json
    emb_path = work / "e.h5"
    synthetic_store(emb_path)
    spec = {"task_type": "binary", "targets": ["label"],
            "decoder": {"model_dim": 16, "rnn_layers": 2, "bidirectional": False, "rnn_dropout": 0.2,
                        "fc_dropout": 0.5, "d_fc_out": 16, "activation": "sigmoid"},
            "train": {"lr": 0.005, "batch_size": 32, "max_epochs": 2, "early_stopping_patience": 5,
                      "reduce_lr_patience": 1, "lr_factor": 0.5, "min_lr": 1e-5, "normalise": True}}
    model_dir = work / "m" / "seed1"
    report["train_seconds"] = step("train", "--embeddings", str(emb_path), "--spec", spec_json(spec), "--seed", "1",
                                   "--out-dir", str(model_dir), "--device", device)
    attribution = {"n_steps": 50, "method": "gausslegendre", "internal_batch_size": 512, "batch_size": 32,
                   "aggregate": "abs", "interpolate_in": "projection", "output": "activated"}
    out = {}
    for where in (device, "cpu"):
        ig, rank = work / f"ig_{where}.h5", work / f"rank_{where}.json"
        report[f"attribute_seconds_{where}"] = step("attribute", "--embeddings", str(emb_path), "--model-dirs",
                                                    str(model_dir), "--spec", spec_json(attribution), "--out",
                                                    str(ig), "--device", where)
        step("rank", "--embeddings", str(emb_path), "--attributions", str(ig), "--task-type", "binary", "--methods",
             '["saliency", "input_x_gradient"]', "--out", str(rank), "--device", where)
        out[where] = (store.read_attributions(ig), json.loads(rank.read_text())["methods"])
    (dev_ig, dev_rank), (cpu_ig, cpu_rank) = out[device], out["cpu"]
    report["ig_mean_gap"] = relative_gap(dev_ig["mean"], cpu_ig["mean"])
    report["ig_std_gap"] = relative_gap(dev_ig["std"], cpu_ig["std"])
    for method in ("saliency", "input_x_gradient"):
        report[f"{method}_gap"] = relative_gap(dev_rank[method]["scores"], cpu_rank[method]["scores"])
    import torch
    ckpt = train.load_checkpoint(model_dir / "model.pt")
    emb = train.prepare_inputs(store.read_embeddings(emb_path), ckpt)
    preds = {w: train.predict(ckpt["model"].to(w), emb.sequences, 64, torch.device(w)) for w in (device, "cpu")}
    report["prediction_gap"] = relative_gap(preds[device], preds["cpu"])


def finetune_checks(work: Path, device: str, report: dict) -> None:
    import torch
    from subspace import finetune, torchjob
    from subspace.loss import pearson_loss
    model_dir = work / "w2v"
    finetune.build_tiny_wav2vec2(model_dir, hidden_size=16, sampling_rate=16000, seed=0)
    rng = np.random.default_rng(0)
    audio = [rng.standard_normal(8000).astype(np.float32) for _ in range(6)]
    labels = torch.as_tensor(rng.random((6, 3)), dtype=torch.float32)
    results = {}
    for where in (device, "cpu"):
        dev = torchjob.start(where)
        extractor, encoder = finetune.load_pretrained(model_dir)
        encoder.config.mask_time_prob = 0.0  # SpecAugment draws masks from numpy: off for a like comparison
        torch.manual_seed(0)
        model = finetune.Wav2Vec2Regressor(encoder, 3, 8).to(dev).eval()  # eval: no dropout
        optimiser = torch.optim.SGD(model.head.parameters(), lr=0.1)
        loss = pearson_loss(model(*finetune.batch_inputs(extractor, audio, dev)), labels.to(dev))
        loss.backward()
        optimiser.step()
        results[where] = (float(loss.detach()), model.head[0].weight.detach().cpu().numpy())
    report["finetune_loss_gap"] = abs(results[device][0] - results["cpu"][0]) / max(abs(results["cpu"][0]), 1e-12)
    report["finetune_head_gap"] = relative_gap(results[device][1], results["cpu"][1])


def refusal_check(report: dict) -> None:
    import torch
    beyond = torch.cuda.device_count() if torch.cuda.is_available() else 0
    proc = subprocess.run([sys.executable, "-m", "subspace", "train", "--embeddings", "x.h5", "--spec", "{}",
                           "--seed", "1", "--out-dir", "x", "--device", f"cuda:{beyond}"], capture_output=True,
                          text=True)
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    report["cuda_index_refused"] = proc.returncode == 1 and "CUDA device" in last
    report["cuda_index_message"] = last


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda", help="the device compared with the CPU (default cuda)")
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest relative gap allowed")
    p.add_argument("--out", default="gpu_smoke.json")
    a = p.parse_args()
    import torch
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here: run on a GPU machine, or --device cpu to check the script", file=sys.stderr)
        return 2
    report = {"device": a.device, "card": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
              "torch": torch.__version__, "tolerance": a.tolerance}
    with tempfile.TemporaryDirectory() as tmp:
        decoder_checks(Path(tmp), a.device, report)
        finetune_checks(Path(tmp), a.device, report)
    refusal_check(report)
    gaps = {k: v for k, v in report.items() if k.endswith("_gap")}
    report["passed"] = all(v <= a.tolerance for v in gaps.values()) and report["cuda_index_refused"]
    Path(a.out).write_text(json.dumps(report, indent=2) + "\n")
    for key, value in report.items():
        print(f"{key:32s} {value}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
