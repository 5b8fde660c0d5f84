"""Full vs reduced decoders per feature from a finished run: parameters, time per epoch, score.

Time per epoch is the median over the 5 seeds of each run's median epoch time (every epoch is one
repeat). Run the workflow first (`make demo`), then:

    python benchmarks/full_vs_reduced.py [results] [threshold]
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def summarise(run_dirs: list[Path]) -> dict:
    records = [json.loads((d / "metrics.json").read_text()) for d in run_dirs]
    return {"parameters": records[0]["parameters"], "dims": records[0]["n_dims"],
            "epoch_s": statistics.median(r["median_epoch_seconds"] for r in records),
            "total_s": statistics.median(r["train_seconds"] for r in records),
            "best": max(r["scores"]["devel"] for r in records), "metric": records[0]["metric"]}


def change(before: float, after: float, unit: str) -> str:
    pct = 100 * (1 - after / before)
    return f"{pct:.0f}% {'fewer' if unit == 'count' else 'less'}" if pct >= 0 else f"{-pct:.0f}% more"


def main() -> None:
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "results")
    threshold = sys.argv[2] if len(sys.argv) > 2 else "mean"
    print("| task | feature | dims | parameters | s/epoch (median) | s total (median) | devel best |")
    print("|---|---|---|---|---|---|---|")
    for feature_dir in sorted(results.glob("*/models/*")):
        full = sorted((feature_dir / "full").glob("seed*"))
        reduced = sorted((feature_dir / threshold).glob("seed*"))
        if not full or not reduced:
            continue
        f, r = summarise(full), summarise(reduced)
        print(f"| {feature_dir.parts[-3]} | {feature_dir.name} | {f['dims']} → {r['dims']} "
              f"| {f['parameters']:,} → {r['parameters']:,} ({change(f['parameters'], r['parameters'], 'count')}) "
              f"| {f['epoch_s']:.3f} → {r['epoch_s']:.3f} ({change(f['epoch_s'], r['epoch_s'], 's')}) "
              f"| {f['total_s']:.2f} → {r['total_s']:.2f} | {f['best']:.4f} → {r['best']:.4f} {f['metric']} |")


if __name__ == "__main__":
    main()
