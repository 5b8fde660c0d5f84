"""Completeness error of 50-step IG (Gauss-Legendre, the default, and the paper's right Riemann sum) on
decoders trained differently: the benchmark decoder of ig_completeness.py and others of other sizes, seeds,
learning rates, directions and tasks, so the default's accuracy is not quoted from one decoder only.

The error is the median over training samples of |sum(IG) - (f(x) - f(0))| / |f(x) - f(0)|.

    python benchmarks/ig_completeness_across_decoders.py [RUN_FOLDER]

With RUN_FOLDER (a finished workflow run, e.g. of tests/data/tiny_config.yaml), the best-seed decoder of each
of its attribution files is attributed again at 50 steps, over all its training samples.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import h5py  # noqa: E402

from subspace import data, demo, store, train  # noqa: E402
from subspace.attribute import AttributionConfig, attribute_sequences, relative_completeness_error  # noqa: E402

HUMOR = {"coaches": {"train": 5, "devel": 2, "test": 1}, "videos_per_coach": 3, "segments_per_video": 60,
         "positive_rate": 0.35, "features": {"w2v": {"dim": 128, "planted": 40, "signal": 0.1}}}
MIMIC = {"videos": {"train": 300, "devel": 100, "test": 20}, "features": {"w2v": {"dim": 64, "planted": 16,
                                                                                  "signal": 0.3}}}
TARGETS = ["Approval_", "Disappointment_", "Uncertainty_"]
# name, task, decoder, training (lr, epochs, seed)
DECODERS = [
    ("benchmark decoder (ig_completeness.py)", "humor", {"model_dim": 32, "rnn_layers": 2, "d_fc_out": 32},
     (0.005, 30, 101)),
    ("humor, 1x16 GRU, lr .01", "humor", {"model_dim": 16, "rnn_layers": 1, "d_fc_out": 16}, (0.01, 15, 102)),
    ("humor, 2x64 bidirectional GRU, lr .001", "humor",
     {"model_dim": 64, "rnn_layers": 2, "bidirectional": True, "d_fc_out": 64}, (0.001, 15, 103)),
    ("mimic (3 outputs), 1x32 GRU, lr .005", "mimic", {"model_dim": 32, "rnn_layers": 1, "d_fc_out": 32},
     (0.005, 15, 104)),
]
N_SAMPLES = 200


def errors(model, sequences) -> list[float]:
    """Median relative completeness error of 50-step IG: Gauss-Legendre, then the right Riemann sum."""
    return [relative_completeness_error(attribute_sequences(model, sequences, AttributionConfig(n_steps=50, method=m),
                                                            progress=False))
            for m in ("gausslegendre", "riemann_right")]


def run_decoders(run_folder: Path) -> None:
    """The best-seed decoders a finished run attributed, on all their training samples."""
    for path in sorted(run_folder.glob("results/*/attribution/*.h5")):
        with h5py.File(path) as f:
            model_dir = run_folder / f.attrs["model"]
        ckpt = train.load_checkpoint(model_dir / "model.pt")
        emb = store.read_embeddings(path.parents[1] / "embeddings" / path.name)
        seqs = train.prepare_inputs(emb, ckpt).subset("train").sequences
        gl, rr = errors(ckpt["model"], seqs)
        name = f"{path.parents[1].name} {path.stem} ({len(seqs)} samples)"
        print(f"{name:<42s} {'':>7s} {gl:14.2e} {rr:14.2e}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        demo.make_humor(tmp / "humor", HUMOR, seed=7)
        demo.make_mimic(tmp / "mimic", MIMIC, TARGETS, seed=7)
        stores = {
            "humor": (data.read_humor(tmp / "humor/metadata/partition.csv", tmp / "humor/label_segments",
                                      tmp / "humor/feature_segments", "w2v"), "binary", ["humor"]),
            "mimic": (data.read_mimic(tmp / "mimic/partition.csv", tmp / "mimic/labels.csv", tmp / "mimic/features",
                                      "w2v", TARGETS), "regression", TARGETS)}
        print(f"median relative completeness error of 50-step IG over {N_SAMPLES} training samples")
        print(f"{'decoder':<42s} {'devel':>7s} {'gausslegendre':>14s} {'riemann_right':>14s} {'s':>6s}")
        for i, (name, task, dec, (lr, epochs, seed)) in enumerate(DECODERS):
            start = time.perf_counter()
            emb, task_type, targets = stores[task]
            cfg = train.TrainConfig(task_type=task_type, lr=lr, batch_size=32, max_epochs=epochs, seed=seed)
            record = train.run(emb, dec, cfg, tmp / f"m{i}", targets=targets)
            ckpt = train.load_checkpoint(tmp / f"m{i}/model.pt")
            seqs = train.prepare_inputs(emb, ckpt).subset("train").sequences[:N_SAMPLES]
            gl, rr = errors(ckpt["model"], seqs)
            print(f"{name:<42s} {record['scores']['devel']:7.4f} {gl:14.2e} {rr:14.2e} "
                  f"{time.perf_counter() - start:6.1f}")
    if len(sys.argv) > 1:
        run_decoders(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
