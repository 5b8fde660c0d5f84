"""Time `snakemake -n` on a MuSe-Mimic-sized configuration: 18,000 videos.

Writes, in a temporary folder, a partition file and labels for N synthetic video ids, an empty
feature CSV per video for one CSV feature (the `store` rule lists them all as inputs), an empty
WAV and transcript path per video for two raw-media features (sharded extraction), and stub
model folders, then times the dry run (DAG building only: no file is read by a job).

    python benchmarks/dry_run_18k.py [--videos 18000] [--shards 64]
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

import yaml

ROOT = Path(__file__).resolve().parents[1]


def make(workdir: Path, n: int, shards: int, only: str = "all") -> Path:
    data = workdir / "data"
    (data / "features" / "faus").mkdir(parents=True)
    (data / "audio").mkdir()
    (data / "transcripts").mkdir()
    ids = [f"{i:05d}" for i in range(n)]
    parts = ["train" if i % 10 < 7 else "devel" if i % 10 < 9 else "test" for i in range(n)]
    (data / "partition.csv").write_text("Id,Partition\n" + "".join(f"{v},{p}\n" for v, p in zip(ids, parts)))
    (data / "labels.csv").write_text("filename,Approval_,Disappointment_,Uncertainty_\n"
                                     + "".join(f"{v},0.5,0.5,0.5\n" for v in ids))
    for v in ids:
        (data / "features" / "faus" / f"{v}.csv").write_text("timestamp,segment_id,AU01\n")
        (data / "audio" / f"{v}.wav").touch()
        (data / "transcripts" / f"{v}.csv").touch()
    for kind, model_type in (("w2v", "wav2vec2"), ("electra", "electra")):
        (workdir / "models" / kind).mkdir(parents=True)
        (workdir / "models" / kind / "config.json").write_text(json.dumps({"model_type": model_type}))
    hp = {"model_dim": 128, "rnn_layers": 2, "lr": 0.001, "early_stopping_patience": 10, "reduce_lr_patience": 5}
    config = {
        "results": "results", "seeds": [101, 102, 103, 104, 105], "threads_per_job": 1,
        "encoders": {"w2v": {"kind": "audio", "model": str(workdir / "models/w2v")},
                     "electra": {"kind": "text", "model": str(workdir / "models/electra")}},
        "extraction": {"shards": shards, "gpu": 1},
        "tasks": {"mimic": {
            "type": "regression", "layout": "mimic", "targets": ["Approval_", "Disappointment_", "Uncertainty_"],
            "partition_file": str(data / "partition.csv"), "label_file": str(data / "labels.csv"),
            "feature_dir": str(data / "features"),
            "media": {"audio": str(data / "audio/{video}.wav"), "transcript": str(data / "transcripts/{video}.csv")},
            "features": {"faus": hp, "w2v-raw": dict(hp, source="w2v"), "electra-raw": dict(hp, source="electra")}}},
        "training": {"batch_size": 32, "max_epochs": 30, "d_fc_out": 64},
        "attribution": {"n_steps": 50},
        "selection": {"thresholds": ["mean", "p75"]},
    }
    feats = config["tasks"]["mimic"]["features"]
    if only == "csv":
        config["tasks"]["mimic"]["features"] = {"faus": feats["faus"]}
    elif only == "raw":
        config["tasks"]["mimic"]["features"] = {k: v for k, v in feats.items() if k != "faus"}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=18000)
    ap.add_argument("--shards", type=int, default=64)
    ap.add_argument("--only", choices=["all", "csv", "raw"], default="all",
                    help="features: the CSV one (faus), the two raw-media ones, or all three")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        config = make(workdir, a.videos, a.shards, a.only)
        setup = time.perf_counter() - t0
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        cmd = [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--snakefile", str(ROOT / "Snakefile"),
               "--directory", str(workdir), "--configfile", str(config), "--cores", "2"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        dry = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            return 1
        jobs = next((line.split()[-1] for line in proc.stdout.splitlines() if line.startswith("total")), "?")
        print(f"{a.videos} videos, features: {a.only}, {a.shards} shards per raw feature: setup {setup:.1f} s, "
              f"`snakemake -n` {dry:.1f} s, {jobs} jobs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
