"""IG throughput on a 1024-d, 2-layer GRU decoder: the workflow's attribution vs the "limit".

The limit is what any IG with 50 steps must at least do: 50 x (forward + backward) of the decoder
on the same batch. Each variant runs in a fresh process so its peak RSS is its own.

    python benchmarks/ig_throughput.py            # prints a table; --json for machine-readable
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_SEQ, D_IN, MODEL_DIM, STEPS, REPEATS = 512, 1024, 128, 50, 3


def setup(threads: int):
    import numpy as np
    import torch

    from subspace.decoder import Decoder, DecoderConfig, pad_batch

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = Decoder(DecoderConfig(d_in=D_IN, n_targets=1, model_dim=MODEL_DIM, rnn_layers=2, d_fc_out=64)).eval()
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((int(t), D_IN)).astype(np.float32) for t in rng.integers(2, 9, N_SEQ)]
    return model, seqs, pad_batch(seqs)


def run_variant(variant: str, threads: int) -> dict:
    import numpy as np

    from subspace.attribute import AttributionConfig, attribute_sequences, integrated_gradients

    model, seqs, (x, lengths) = setup(threads)
    times = []
    result = {}
    for _ in range(REPEATS):
        start = time.perf_counter()
        if variant == "limit":
            for _ in range(STEPS):
                xi = x.clone().requires_grad_(True)
                model(xi, lengths)[:, 0].sum().backward()
        elif variant in ("projection", "input"):
            cfg = AttributionConfig(n_steps=STEPS, method="riemann_right", interpolate_in=variant)
            attribute_sequences(model, seqs, cfg, progress=False)
        times.append(time.perf_counter() - start)
    if variant in ("projection", "input"):
        cfg = AttributionConfig(n_steps=STEPS, method="riemann_right", interpolate_in=variant)
        attr, _ = integrated_gradients(model, x[:64], lengths[:64], 0, cfg)
        np.save(f"/tmp/ig_bench_{variant}.npy", attr)
    result.update(seconds=statistics.median(times), peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.threads)))
        return
    import numpy as np

    rows = {}
    for variant in ("limit", "projection", "input"):
        out = subprocess.run([sys.executable, __file__, "--variant", variant, "--threads", str(args.threads)],
                             check=True, capture_output=True, text=True).stdout
        rows[variant] = json.loads(out.strip().splitlines()[-1])
    fast, plain = np.load("/tmp/ig_bench_projection.npy"), np.load("/tmp/ig_bench_input.npy")
    rel = float(np.abs(fast - plain).max() / np.abs(plain).max())
    limit = rows["limit"]["seconds"]
    summary = {"sequences": N_SEQ, "d_in": D_IN, "model_dim": MODEL_DIM, "steps": STEPS, "threads": args.threads,
               "limit_s": limit, "workflow_s": rows["projection"]["seconds"], "captum_input_s": rows["input"]["seconds"],
               "workflow_vs_limit": rows["projection"]["seconds"] / limit,
               "captum_input_vs_limit": rows["input"]["seconds"] / limit,
               "workflow_peak_rss_mb": rows["projection"]["peak_rss_mb"],
               "captum_input_peak_rss_mb": rows["input"]["peak_rss_mb"], "limit_peak_rss_mb": rows["limit"]["peak_rss_mb"],
               "max_relative_difference": rel}
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"IG, {N_SEQ} sequences of 2-8 steps, d_in {D_IN}, GRU 2x{MODEL_DIM}, {STEPS} steps, {args.threads} thread(s)")
    print(f"{'variant':34s} {'seconds':>8s} {'x limit':>8s} {'peak RSS MB':>12s}")
    for name, key in (("limit: 50 x (forward + backward)", "limit"), ("workflow (projection space)", "projection"),
                      ("captum on the inputs", "input")):
        print(f"{name:34s} {rows[key]['seconds']:8.2f} {rows[key]['seconds'] / limit:8.2f} {rows[key]['peak_rss_mb']:12.0f}")
    print(f"max |workflow - captum| / max |captum| = {rel:.1e}")


if __name__ == "__main__":
    main()
