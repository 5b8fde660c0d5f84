"""Bad input gets a clear error naming the file, a non-zero exit, and no partial output."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from subspace import demo
from subspace.cli import main

ROOT = Path(__file__).resolve().parents[1]
SPEC = {"coaches": {"train": 2, "devel": 1, "test": 1}, "videos_per_coach": 2, "segments_per_video": 8,
        "positive_rate": 0.5, "features": {"w2v": {"dim": 6, "planted": 2, "signal": 1.0}}}
MIMIC = {"videos": {"train": 6, "devel": 3, "test": 2}, "features": {"faus": {"dim": 20, "planted": 4, "signal": 1.0}}}
TARGETS = ["Approval_", "Disappointment_", "Uncertainty_"]


def run_cli(capsys, *argv):
    """Exit code and the last line of stderr (progress bars come before it)."""
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err.strip().splitlines()[-1]


def humor_store(root, out):
    spec = {"layout": "humor", "partition_file": str(root / "metadata/partition.csv"), "targets": ["humor"],
            "label_dir": str(root / "label_segments"), "feature_dir": str(root / "feature_segments")}
    return ["store", "--task", "humor", "--feature", "w2v", "--spec", json.dumps(spec), "--out", out]


def mimic_store(root, out):
    spec = {"layout": "mimic", "partition_file": str(root / "partition.csv"), "targets": TARGETS,
            "label_file": str(root / "labels.csv"), "feature_dir": str(root / "features")}
    return ["store", "--task", "mimic", "--feature", "faus", "--spec", json.dumps(spec), "--out", out]


def edit_csv(path, fn, **read):
    df = pd.read_csv(path, **read)
    fn(df).to_csv(path, index=False)


HUMOR_FEATURE = "feature_segments/w2v/train_coach01/train_coach01_v00.csv"
HUMOR_LABEL = "label_segments/train_coach01/train_coach01_v00.csv"

# (id, how to break the Humor demo, the file the message must name, the problem it must state)
HUMOR_CASES = [
    ("missing partition file", lambda r: (r / "metadata/partition.csv").unlink(), "partition.csv",
     "file does not exist"),
    ("missing feature file", lambda r: (r / HUMOR_FEATURE).unlink(), "train_coach01_v00.csv",
     "have no feature file"),
    ("missing label files", lambda r: [p.unlink() for p in (r / "label_segments/train_coach01").glob("*.csv")],
     "label_segments/train_coach01", "no label CSVs for train coach"),
    ("empty feature file", lambda r: (r / HUMOR_FEATURE).write_text(""), "train_coach01_v00.csv", "file is empty"),
    ("header only", lambda r: (r / HUMOR_LABEL).write_text("segment_id,timestamp_start,timestamp_end,humor\n"),
     "train_coach01_v00.csv", "has a header but no rows"),
    ("missing label column", lambda r: edit_csv(r / HUMOR_LABEL, lambda d: d.drop(columns="timestamp_start")),
     "train_coach01_v00.csv", "missing columns ['timestamp_start']"),
    ("wrong feature columns", lambda r: edit_csv(r / HUMOR_FEATURE, lambda d: d.rename(columns={"timestamp": "time"})),
     "train_coach01_v00.csv", "missing columns ['timestamp']"),
    ("non-numeric features", lambda r: edit_csv(r / HUMOR_FEATURE, lambda d: d.assign(w2v_1="x")),
     "train_coach01_v00.csv", "non-numeric feature values"),
    ("NaN in features", lambda r: edit_csv(r / HUMOR_FEATURE, lambda d: d.assign(w2v_3=np.nan)),
     "train_coach01_v00.csv", "NaN or Inf in features (row 2, column 'w2v_3')"),
    ("Inf in features", lambda r: edit_csv(r / HUMOR_FEATURE, lambda d: d.assign(w2v_0=np.inf)),
     "train_coach01_v00.csv", "NaN or Inf in features (row 2, column 'w2v_0')"),
    ("dimension differs", lambda r: edit_csv(r / HUMOR_FEATURE, lambda d: d.drop(columns="w2v_5")),
     "train_coach01_v00.csv", "feature dimension 5 differs from 6"),
    ("features without labels", lambda r: (r / HUMOR_LABEL).unlink(), "w2v/train_coach01/train_coach01_v00.csv",
     "features of train video 'train_coach01_v00' have no label file"),
    ("partition without devel", lambda r: edit_csv(r / "metadata/partition.csv",
                                                   lambda d: d.replace("devel", "test"), dtype=str),
     "feature_segments/w2v", "the devel partition has no samples"),
    ("unknown partition name", lambda r: edit_csv(r / "metadata/partition.csv",
                                                  lambda d: d.replace("devel", "validation"), dtype=str),
     "partition.csv", "unknown partition names ['validation']"),
]


@pytest.mark.parametrize("case", HUMOR_CASES, ids=[c[0] for c in HUMOR_CASES])
def test_bad_humor_input(tmp_path, capsys, case):
    _, breaker, names, problem = case
    root = tmp_path / "humor"
    demo.make_humor(root, SPEC, seed=0)
    breaker(root)
    out = tmp_path / "out/w2v.h5"
    code, err = run_cli(capsys, *humor_store(root, out))
    assert code == 1
    assert err.startswith("error: ") and names in err and problem in err, err
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir()), "no partial output"


MIMIC_CASES = [
    ("missing label file", lambda r: (r / "labels.csv").unlink(), "labels.csv", "file does not exist"),
    ("labelled video without features", lambda r: (r / "features/faus/00001.csv").unlink(), "00001.csv",
     "video '00001' (train) has no feature file"),
    ("video without labels", lambda r: edit_csv(r / "labels.csv", lambda d: d[d.filename.str.strip('"') != "00002"],
                                                dtype={"filename": str}),
     "labels.csv", "no labels for train video '00002'"),
    ("features not in the partition", lambda r: (r / "features/faus/99999.csv").write_text(
        (r / "features/faus/00000.csv").read_text()), "99999.csv", "has features but is not in the partition file"),
    ("wrong label columns", lambda r: edit_csv(r / "labels.csv", lambda d: d.drop(columns="Uncertainty_"),
                                               dtype={"filename": str}),
     "labels.csv", "missing columns ['Uncertainty_'] (columns found: ['filename', 'Approval_', 'Disappointment_'])"),
]


@pytest.mark.parametrize("case", MIMIC_CASES, ids=[c[0] for c in MIMIC_CASES])
def test_bad_mimic_input(tmp_path, capsys, case):
    _, breaker, names, problem = case
    root = tmp_path / "mimic"
    demo.make_mimic(root, MIMIC, TARGETS, seed=0)
    breaker(root)
    out = tmp_path / "faus.h5"
    code, err = run_cli(capsys, *mimic_store(root, out))
    assert code == 1 and names in err and problem in err, err
    assert not out.exists()


def test_corrupt_and_truncated_hdf5(tmp_path, capsys):
    root = tmp_path / "humor"
    demo.make_humor(root, SPEC, seed=0)
    good = tmp_path / "w2v.h5"
    assert run_cli(capsys, *humor_store(root, good))[0] == 0
    spec = json.dumps({"task_type": "binary", "targets": ["humor"], "decoder": {"model_dim": 4, "rnn_layers": 1},
                       "train": {"max_epochs": 1}})
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:2000])
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not an hdf5 file at all" * 100)
    for bad in (truncated, garbage):
        code, err = run_cli(capsys, "train", "--embeddings", bad, "--spec", spec, "--seed", 1,
                            "--out-dir", tmp_path / "model")
        assert code == 1 and str(bad) in err and "cannot read HDF5 file" in err, err
        assert not (tmp_path / "model").exists()


def test_selection_that_keeps_zero_dimensions(tmp_path, capsys):
    attributions = tmp_path / "attr.h5"
    with h5py.File(attributions, "w") as f:  # every dimension equally relevant: nothing is above the mean
        f["mean"] = np.full(4, 0.5)
        f["dim_names"] = np.array(["a", "b", "c", "d"], dtype=object)
    out = tmp_path / "mean.json"
    code, err = run_cli(capsys, "select", "--attributions", attributions, "--threshold", "mean", "--out", out)
    assert code == 1 and "attr.h5: threshold 'mean' keeps zero dimensions" in err
    assert not out.exists()


# ---- configuration mistakes: reported before any job runs -------------------------------------------------

TINY = (ROOT / "tests/data/tiny_config.yaml").read_text()


def dry_run(tmp_path, config_text):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(tmp_path), "--configfile", str(cfg), "--cores", "1", "-n"],
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


CONFIG_CASES = [
    ("bad threshold", TINY.replace("thresholds: [mean, p75]", "thresholds: [mean, p175]"), "p175"),
    ("wrong type", TINY.replace("seeds: [1, 2]", "seeds: one"), "seeds"),
    ("unknown key", TINY.replace("training: {", "trainig: {batch_size: 3}\ntraining: {"), "trainig"),
    ("feature the demo does not generate", TINY.replace("      w2v: {model_dim: 16", "      vit: {model_dim: 16"),
     "tasks.humor.features: ['vit'] are not generated by demo.humor"),
    ("unknown task", TINY.replace("  humor:\n    type: binary", "  humour:\n    type: binary"), "humour"),
]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_config_mistakes_fail_before_any_job(tmp_path, case):
    _, text, expected = case
    code, out = dry_run(tmp_path, text)
    assert code != 0 and expected in out, out[-3000:]
    assert not (tmp_path / "results").exists()


def test_missing_data_path_names_the_key(tmp_path):
    text = TINY.split("demo:")[0] + "tasks:" + TINY.split("\ntasks:")[1]
    text = text.replace("resources/demo/humor/metadata/partition.csv", "/nonexistent/partition.csv")
    code, out = dry_run(tmp_path, text)
    assert code != 0 and "tasks.humor.partition_file: /nonexistent/partition.csv does not exist" in out, out[-3000:]


# ---- a killed run resumes to the same numbers ---------------------------------------------------------------


def compare_results(a: Path, b: Path) -> int:
    """Assert bit-identical scores, selections and attributions; return how many files were compared."""
    n = 0
    for metrics in sorted(a.glob("*/models/*/*/seed*/metrics.json")):
        ra, rb = json.loads(metrics.read_text()), json.loads((b / metrics.relative_to(a)).read_text())
        assert ra["scores"] == rb["scores"], metrics
        assert [h["train_loss"] for h in ra["history"]] == [h["train_loss"] for h in rb["history"]]
        n += 1
    for selection in sorted(a.glob("*/selection/*/*.json")):
        assert selection.read_text() == (b / selection.relative_to(a)).read_text(), selection
        n += 1
    for attr in sorted(a.glob("*/attribution/*.h5")):
        with h5py.File(attr) as fa, h5py.File(b / attr.relative_to(a)) as fb:
            for key in ("mean", "std", "completeness_delta"):
                np.testing.assert_array_equal(fa[key][()], fb[key][()])
        n += 1
    return n


def test_killed_run_resumes_to_results_identical_to_an_uninterrupted_run(tmp_path, tiny_run):
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
           "--configfile", str(ROOT / "tests/data/tiny_config.yaml"), "--cores", "2"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    logs = tmp_path / "results/logs"
    deadline = time.time() + 300
    while time.time() < deadline and not list(logs.glob("*/attribute/*.log")):
        time.sleep(0.2)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and every job it started
    proc.wait()
    assert not (tmp_path / "results/humor/tables/full_vs_reduced.csv").exists(), "the run was interrupted"
    subprocess.run(cmd + ["--unlock"], env=env, check=True, capture_output=True)
    resumed = subprocess.run(cmd + ["--rerun-incomplete"], env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    tiny = yaml.safe_load((ROOT / "tests/data/tiny_config.yaml").read_text())
    n_features = sum(len(t["features"]) for t in tiny["tasks"].values())
    n_thresholds, n_seeds = len(tiny["selection"]["thresholds"]), len(tiny["seeds"])
    per_feature = (1 + n_thresholds) * n_seeds + n_thresholds + 1  # metrics, selections, attributions
    assert compare_results(tiny_run / "results", tmp_path / "results") == n_features * per_feature
    assert not list((tmp_path / "results").rglob(".*.tmp*")), "no temporary file survives the resumed run"
