"""Completeness error of IG vs number of steps and integration method, on a trained demo decoder.

Completeness: the attributions of a sample sum to f(x) - f(0). The error reported is the median
over training samples of |sum(IG) - (f(x) - f(0))| / |f(x) - f(0)|.

    python benchmarks/ig_completeness.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subspace import data, demo, train  # noqa: E402
from subspace.attribute import AttributionConfig, attribute_sequences, relative_completeness_error  # noqa: E402

SPEC = {"coaches": {"train": 5, "devel": 2, "test": 1}, "videos_per_coach": 3, "segments_per_video": 60,
        "positive_rate": 0.35, "features": {"w2v": {"dim": 128, "planted": 40, "signal": 0.1}}}
METHODS = ("riemann_right", "riemann_trapezoid", "gausslegendre")
STEPS = (10, 25, 50, 100)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        demo.make_humor(root, SPEC, seed=7)
        emb = data.read_humor(root / "metadata/partition.csv", root / "label_segments", root / "feature_segments", "w2v")
        cfg = train.TrainConfig(task_type="binary", lr=0.005, batch_size=32, max_epochs=30, seed=101)
        train.run(emb, {"model_dim": 32, "rnn_layers": 2, "d_fc_out": 32}, cfg, Path(tmp) / "model", targets=["humor"])
        ckpt = train.load_checkpoint(Path(tmp) / "model/model.pt")
        seqs = train.prepare_inputs(emb, ckpt).subset("train").sequences[:400]
        print(f"median relative completeness error over {len(seqs)} training samples (seconds in brackets)")
        print(f"{'steps':>6s} " + " ".join(f"{m:>26s}" for m in METHODS))
        for steps in STEPS:
            cells = []
            for method in METHODS:
                start = time.perf_counter()
                stats = attribute_sequences(ckpt["model"], seqs, AttributionConfig(n_steps=steps, method=method),
                                            progress=False)
                cells.append(f"{relative_completeness_error(stats):.2e} ({time.perf_counter() - start:5.2f} s)")
            print(f"{steps:6d} " + " ".join(f"{c:>26s}" for c in cells))


if __name__ == "__main__":
    main()
