"""The workflow end to end for the target kinds the shared tiny run (tests/conftest.py) does not cover: a
multiclass task (class names in a Mimic-layout label file, one mapped by `class_map`) and a single-target
regression on a 1-5 scale (standardised and mapped back), on data laid out as a user's."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from subspace import demo
from subspace.store import read_attributions

TARGETS = ["Approval_", "Disappointment_", "Uncertainty_"]
CLASSES = ["app", "dis", "unc"]


def user_data(root: Path) -> None:
    """The Mimic demo's files, with two label columns of other kinds: `emotion`, the strongest of the three
    targets as a class name (every tenth 'app' written 'approval'), and `rating` = 1 + 4 x Approval_."""
    spec = {"videos": {"train": 90, "devel": 36, "test": 24},
            "features": {"w2v": {"dim": 16, "planted": 6, "signal": 0.4}, "faus": {"dim": 20, "planted": 6,
                                                                                 "signal": 0.4}}}
    demo.make_mimic(root, spec, TARGETS, seed=5)
    labels = pd.read_csv(root / "labels.csv", dtype={"filename": str})
    emotion = np.array(CLASSES, dtype=object)[labels[TARGETS].to_numpy().argmax(1)]
    emotion[(emotion == "app") & (np.arange(len(emotion)) % 10 == 0)] = "approval"
    labels["emotion"], labels["rating"] = emotion, 1 + 4 * labels["Approval_"]
    labels.to_csv(root / "labels.csv", index=False)


def config(root: Path) -> dict:
    files = {"layout": "mimic", "partition_file": str(root / "partition.csv"), "label_file": str(root / "labels.csv"),
             "feature_dir": str(root / "features")}
    decoder = {"model_dim": 8, "rnn_layers": 1, "lr": 0.01, "early_stopping_patience": 3}
    return {
        "results": "results", "seeds": [1, 2],
        "tasks": {
            "mimic": {**files, "type": "multiclass", "targets": ["emotion"], "classes": CLASSES,
                      "class_map": {"approval": "app"}, "class_weights": "balanced",
                      "features": {"w2v": decoder, "faus": decoder}},
            # the task names are humor and mimic until tasks may have any name; this one reads Mimic's files
            "humor": {**files, "type": "regression", "targets": ["rating"], "metric": "ccc",
                      "features": {"w2v": decoder}}},
        "training": {"batch_size": 16, "max_epochs": 6, "d_fc_out": 8},
        "attribution": {"n_steps": 16, "batch_size": 64},
        "selection": {"thresholds": ["mean"]},
        "fusion": {"methods": ["mean", "weighted"], "combinations": {"mimic": [["w2v", "faus"]]}},
        "fau_features": {"mimic": ["faus"]},
        "evaluation": {"features": {"mimic": ["w2v"]}, "k": [4], "methods": ["ig", "random", "saliency", "mutual_info"],
                       "seeds": 1, "stability": {"mimic": ["w2v"]}, "cross_task": [["mimic:w2v", "humor:w2v"]]},
    }


@pytest.fixture(scope="module")
def kinds_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("kinds")
    user_data(workdir / "data")
    (workdir / "config.yaml").write_text(yaml.safe_dump(config(workdir / "data")))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(workdir), "--configfile", str(workdir / "config.yaml"), "--cores", "2"],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return workdir / "results"


def test_a_multiclass_task_runs_end_to_end_with_its_metric_classes_and_figures(kinds_run):
    res = kinds_run / "mimic"
    record = json.loads((res / "models/w2v/full/seed1/metrics.json").read_text())
    assert record["metric"] == "uar" and record["activation"] == "softmax" and record["scores"]["devel"] > 0.45
    pred = pd.read_csv(res / "models/w2v/full/seed1/predictions.csv")
    assert [c for c in pred.columns if c.startswith("prob_")] == [f"prob_emotion_{c}" for c in CLASSES]
    labels = pd.read_csv(kinds_run.parent / "data/labels.csv", dtype={"filename": str})
    expected = labels.emotion.replace("approval", "app").map(CLASSES.index)  # class_map, then the index
    by_video = dict(zip(labels.filename.str.strip('"'), expected))
    assert (pred.label_emotion == pred.sample_id.map(lambda v: by_video[f"{int(v):05d}"])).all()
    assert "full devel uar" in (res / "tables/full_vs_reduced.md").read_text()
    assert "devel uar" in (res / "tables/fusion.md").read_text()
    assert "Devel uar of decoders retrained" in (res / "evaluation/topk/w2v.md").read_text()
    for figure in ("attribution_classes", "fau_faus", "attribution_mean"):
        assert (res / f"figures/{figure}.png").stat().st_size > 10_000, figure
    attributions = read_attributions(res / "attribution/w2v.h5")
    assert json.loads(attributions["attrs"]["classes"]) == CLASSES and attributions["mean_per_target"].shape == (3, 16)


def test_a_single_regression_target_on_a_1_to_5_scale_is_standardised_and_mapped_back(kinds_run):
    res = kinds_run / "humor"
    record = json.loads((res / "models/w2v/full/seed1/metrics.json").read_text())
    assert record["metric"] == "ccc" and record["activation"] == "standardise" and record["scores"]["devel"] > 0.3
    pred = pd.read_csv(res / "models/w2v/full/seed1/predictions.csv")
    assert 2 < pred.pred_rating.mean() < 4 and pred.pred_rating.max() > 1.5  # on the labels' scale
    assert "full devel ccc" in (res / "tables/full_vs_reduced.md").read_text()
    cross = (kinds_run / "mimic/tables/cross_task_w2v.humor.w2v.md").read_text()
    assert "mimic:w2v (uar)" in cross and "humor:w2v (ccc)" in cross
