"""End to end: the Snakemake workflow on a tiny config in a temporary directory."""
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests/data/tiny_config.yaml"


def snakemake(workdir, *args, check=True):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(TINY), "--cores", "2", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("workflow")
    snakemake(workdir)
    return workdir


def test_every_output_has_the_right_content(run_dir):
    res = run_dir / "results"
    for task, feature, dim, metric in (("humor", "w2v", 24, "auc"), ("mimic", "faus", 20, "pearson")):
        with h5py.File(res / task / "embeddings" / f"{feature}.h5") as f:
            assert f["features"].shape[1] == dim and f.attrs["task"] == task
        for variant in ("full", "mean", "p75"):
            for seed in (1, 2):
                d = res / task / "models" / feature / variant / f"seed{seed}"
                m = json.loads((d / "metrics.json").read_text())
                assert m["metric"] == metric and m["seed"] == seed
                assert -1 <= m["scores"]["devel"] <= 1 and m["parameters"] > 0
                preds = pd.read_csv(d / "predictions.csv", dtype={"sample_id": str})
                assert set(preds.partition) == {"train", "devel", "test"}
                assert preds.filter(like="pred_").notna().all().all()
        attr = {}
        with h5py.File(res / task / "attribution" / f"{feature}.h5") as f:
            attr = {k: f[k][()] for k in ("mean", "std", "mean_per_target")}
            assert f.attrs["n_steps"] == 20 and f.attrs["median_relative_completeness_error"] < 0.2
        assert attr["mean"].shape == (dim,) and (attr["mean"] >= 0).all() and (attr["std"] >= 0).all()
        assert attr["mean_per_target"].shape[0] == (1 if task == "humor" else 3)
        np.testing.assert_allclose(attr["mean"], attr["mean_per_target"].mean(0))
        for threshold, cut in (("mean", attr["mean"].mean()), ("p75", np.percentile(attr["mean"], 75))):
            sel = json.loads((res / task / "selection" / feature / f"{threshold}.json").read_text())
            assert sel["kept"] == np.flatnonzero(attr["mean"] > cut).tolist()
            reduced = json.loads((res / task / "models" / feature / threshold / "seed1" / "metrics.json").read_text())
            assert reduced["n_dims"] == sel["n_kept"] < dim
        table = pd.read_csv(res / task / "tables" / "full_vs_reduced.csv")
        table = table[table.feature == feature].reset_index(drop=True)
        assert table.threshold.tolist() == ["mean", "p75"]
        assert (table.reduced_parameters < table.full_parameters).all()
        assert (table.full_best >= table.full_mean).all()
        md = (res / task / "tables" / "full_vs_reduced.md").read_text()
        assert f"| {feature} | mean | {table.kept_dims[0]}/{dim} |" in md
        recovery = pd.read_csv(res / task / "tables" / "planted_recovery.csv")
        assert recovery.precision.between(0, 1).all() and (recovery.planted == (8 if task == "humor" else 6)).all()
        for which in ("mean", "std"):
            png = res / task / "figures" / f"attribution_{which}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
            assert (res / task / "figures" / f"attribution_{which}.pdf").read_bytes()[:4] == b"%PDF"


def test_raw_media_feature_is_translated_extracted_in_shards_and_merged(run_dir):
    res = run_dir / "results/humor"
    with h5py.File(res / "embeddings/bert-en.h5") as raw, h5py.File(res / "embeddings/w2v.h5") as csv:
        assert raw.attrs["encoder"] == "bert-tiny" and raw.attrs["task"] == "humor"
        np.testing.assert_array_equal(raw["sample_id"].asstr()[()], csv["sample_id"].asstr()[()])
        np.testing.assert_array_equal(raw["labels"][()], csv["labels"][()])
        assert raw["features"].shape[1] == 32 and np.isfinite(raw["features"][()]).all()
    assert sorted(p.name for p in (res / "shards/bert-en").glob("*.h5")) == ["0-of-2.h5", "1-of-2.h5"]
    translated = sorted((res / "translated/bert-en").glob("*/*/*.csv"))
    assert len(translated) == 10 and {p.parts[-3] for p in translated} == {"0-of-2", "1-of-2"}
    assert list(pd.read_csv(translated[0]).columns) == ["sentence_id", "word", "start", "end"]
    table = pd.read_csv(res / "tables/full_vs_reduced.csv")
    assert set(table.feature) == {"w2v", "bert-en"}
    assert "bert-en" not in set(pd.read_csv(res / "tables/planted_recovery.csv").feature)


def test_the_planted_signal_is_found_on_the_tiny_demo(run_dir):
    recovery = pd.read_csv(run_dir / "results/humor/tables/planted_recovery.csv").set_index("threshold")
    assert recovery.loc["mean", "recall"] >= 0.75


def test_rerun_with_nothing_changed_runs_nothing(run_dir):
    out = snakemake(run_dir, "-n").stdout
    assert "Nothing to be done" in out, out[-2000:]


def test_touching_one_input_reruns_only_what_depends_on_it(run_dir):
    csv = next((run_dir / "resources/demo/mimic/features/faus").glob("*.csv"))
    os.utime(csv)
    out = snakemake(run_dir, "-n", "--quiet", "rules").stdout
    assert "store" in out and "attribute" in out
    assert "demo_humor" not in out and "demo_mimic" not in out
    plan = snakemake(run_dir, "-n", "--summary").stdout
    rerun = [line for line in plan.splitlines() if "update pending" in line or "updated input" in line]
    assert rerun and all("/mimic/" in line for line in rerun), rerun[:5]


def test_bad_config_fails_before_any_job_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("thresholds: [mean, p75]", "thresholds: [median]"))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(tmp_path), "--configfile", str(bad), "--cores", "1", "-n"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "median" in proc.stderr + proc.stdout
    assert not (tmp_path / "results").exists()


def test_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--snakefile", str(ROOT / "Snakefile"),
                           "--directory", str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
