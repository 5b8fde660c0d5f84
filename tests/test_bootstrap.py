"""Cluster bootstrap intervals (issue 22 item 1): resample whole videos (or coaches), not windows."""
import json

import numpy as np
import pandas as pd
import pytest

from subspace import bootstrap, evaltables
from subspace.metrics import score

METRIC = {"binary": "auc", "regression": "pearson"}  # each kind's default metric (subspace.targets.metric_of)
from subspace.atomic import write_csv
from subspace.errors import InputError


def planted_videos(rng, task_type, n_videos=24, windows=20):
    """Two interchangeable models (true difference 0) whose errors share a per-video offset."""
    video = np.repeat(np.arange(n_videos), windows)
    y = rng.standard_normal(n_videos)[video] + rng.standard_normal(len(video))
    pa = y + rng.standard_normal(n_videos)[video] + rng.standard_normal(len(video))
    pb = y + rng.standard_normal(n_videos)[video] + rng.standard_normal(len(video))
    return ((y > 0).astype(float) if task_type == "binary" else y), pa, pb, video


@pytest.mark.parametrize("task_type", ["regression", "binary"])
def test_resampling_videos_covers_the_true_difference_and_resampling_windows_does_not(task_type):
    rng = np.random.default_rng(0)
    covered = {"videos": 0, "windows": 0}
    for repeat in range(200):
        y, pa, pb, video = planted_videos(rng, task_type)
        for name, units, n_units in (("videos", video, 24), ("windows", None, len(y))):
            idx = bootstrap.bootstrap_indices(n_units, 200, seed=repeat)
            diff = (bootstrap.resampled_scores(METRIC[task_type], y, pa, idx, units)
                    - bootstrap.resampled_scores(METRIC[task_type], y, pb, idx, units))
            low, high = np.nanpercentile(diff, [2.5, 97.5])
            covered[name] += low <= 0 <= high
    assert covered["videos"] >= 0.9 * 200, covered   # measured: 190 (regression), 185 (binary) of 200
    assert covered["windows"] <= 0.75 * 200, covered  # measured: 116 and 144: the intervals are too narrow


def test_a_group_drawn_twice_weighs_its_rows_twice():
    units = np.array([0, 0, 1, 2, 2, 2])
    idx = np.array([[0, 0, 2], [1, 2, 1]])
    assert bootstrap.row_weights(idx, units).tolist() == [[2, 2, 0, 1, 1, 1], [0, 0, 2, 1, 1, 1]]
    assert bootstrap.row_weights(np.array([[3, 3, 0, 1]])).tolist() == [[1, 1, 0, 2]]  # rows are the units


def write_grouped(path, y, pred, groups, subjects=None, shuffle=None):
    rows = pd.DataFrame({"sample_id": [f"s{i:03d}" for i in range(len(y))], "partition": "test",
                         "group": groups, "label_a": y, "pred_a": pred})
    if subjects is not None:
        rows["subject"] = subjects
    if shuffle is not None:
        rows = rows.iloc[shuffle]  # rows are aligned by sample id, whatever their order
    write_csv(path, rows, float_format=None)
    return str(path)


def direct_cluster_interval(task_type, y, pa, pb, units, n_resamples, seed):
    """The textbook cluster bootstrap: concatenate the rows of the drawn units, score, subtract."""
    names = np.unique(units)
    idx = bootstrap.bootstrap_indices(len(names), n_resamples, seed)
    diffs = []
    for draw in idx:
        rows = np.concatenate([np.flatnonzero(units == names[j]) for j in draw])
        diffs.append(score(METRIC[task_type], y[rows, None], pa[rows, None])
                     - score(METRIC[task_type], y[rows, None], pb[rows, None]))
    return np.percentile(diffs, [2.5, 97.5])


@pytest.mark.parametrize("task_type", ["binary", "regression"])
@pytest.mark.parametrize("unit", ["group", "subject"])
def test_paired_difference_resamples_the_groups_in_the_predictions(tmp_path, task_type, unit):
    rng = np.random.default_rng(1)
    y, pa, pb, video = planted_videos(rng, task_type, n_videos=9, windows=6)
    pa, pb = np.round(pa, 1), np.round(pb, 1)  # tied predictions
    groups = np.array([f"coach{v // 3}/video{v}" for v in video])
    subjects = np.array([f"coach{v // 3}" for v in video])
    shuffle = rng.permutation(len(y))
    a = write_grouped(tmp_path / "a.csv", y, pa, groups, subjects, shuffle)
    b = write_grouped(tmp_path / "b.csv", y, pb, groups, subjects)
    ci = bootstrap.paired_difference(METRIC[task_type], [(a, b)], n_resamples=150, seed=2, unit=unit)
    units = groups if unit == "group" else subjects
    assert [ci["low"], ci["high"]] == pytest.approx(direct_cluster_interval(task_type, y, pa, pb, units, 150, 2))
    assert ci["unit"] == ci["requested_unit"] == unit and ci["n_units"] == (9 if unit == "group" else 3)
    assert ci["n_samples"] == 54 and ci["delta"] == pytest.approx(
        score(METRIC[task_type], y[:, None], pa[:, None]) - score(METRIC[task_type], y[:, None], pb[:, None]))
    rows = bootstrap.paired_difference(METRIC[task_type], [(a, b)], n_resamples=150, seed=2, unit="sample")
    assert rows["unit"] == "sample" and rows["n_units"] == 54 and [rows["low"], rows["high"]] != [ci["low"], ci["high"]]


def test_predictions_without_groups_fall_back_to_samples_and_the_table_says_so(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 40).astype(float)
    old = []
    for name in ("a", "b"):
        rows = pd.DataFrame({"sample_id": [f"s{i}" for i in range(40)], "partition": "test", "label_humor": y,
                             "pred_humor": y + rng.standard_normal(40)})
        write_csv(tmp_path / f"{name}.csv", rows, float_format=None)
        old.append(str(tmp_path / f"{name}.csv"))
    ci = bootstrap.paired_difference("auc", [tuple(old)], n_resamples=100)
    assert (ci["unit"], ci["requested_unit"], ci["n_units"]) == ("sample", "group", 40)
    df = pd.DataFrame([{**evaltables.ci_columns(ci), "ci_undefined": 0}])
    note = evaltables.interval_note(df)
    assert "over the 40 test samples" in note and "no `group` column" in note and "too narrow" in note


def test_groups_that_disagree_or_are_missing_are_named(tmp_path):
    y, pred = np.array([0.0, 1, 0, 1]), np.array([0.2, 0.8, 0.4, 0.6])
    a = write_grouped(tmp_path / "a.csv", y, pred, ["v1", "v1", "v2", "v2"])
    b = write_grouped(tmp_path / "b.csv", y, pred, ["v1", "v2", "v2", "v2"])
    with pytest.raises(InputError, match="b.csv.*groups the test samples differently from .*a.csv"):
        bootstrap.paired_difference("auc", [(a, b)], 10)
    c = write_grouped(tmp_path / "c.csv", y, pred, ["v1", "", "v2", "v2"])
    with pytest.raises(InputError, match="c.csv: 1 rows have no `group` .e.g. sample s001"):
        bootstrap.paired_difference("auc", [(c, c)], 10)
    with pytest.raises(InputError, match="a.csv: has no `subject` column"):
        bootstrap.paired_difference("auc", [(a, a)], 10, unit="subject")
    with pytest.raises(ValueError, match="unknown bootstrap unit 'video'"):
        bootstrap.paired_difference("auc", [(a, a)], 10, unit="video")


def test_topk_markdown_names_the_unit_and_how_many_were_resampled(tmp_path):
    rng = np.random.default_rng(3)
    y, _, _, video = planted_videos(rng, "binary", n_videos=12, windows=10)
    groups = [f"c/v{v}" for v in video]
    full_dir = tmp_path / "full"
    full_dir.mkdir()
    (full_dir / "metrics.json").write_text(json.dumps({"seed": 1, "scores": {"devel": 0.9, "test": 0.9}}))
    write_grouped(full_dir / "predictions.csv", y, y + rng.standard_normal(len(y)), groups)
    records = {}
    for method in ("ig", "random"):
        preds = write_grouped(tmp_path / f"{method}.csv", y, y + rng.standard_normal(len(y)), groups)
        (tmp_path / f"{method}.json").write_text(json.dumps({"method": method, "seed": 1, "dim": 10, "results": [
            {"k": 2, "n_dims": 2, "scores": {"devel": 0.8, "test": 0.7}, "parameters": 10, "train_seconds": 1.0,
             "predictions": preds}]}))
        records[method] = [str(tmp_path / f"{method}.json")]
    df = evaltables.topk_table(records, [str(full_dir / "metrics.json")], "auc", n_resamples=100)
    assert (df.ci_unit == "group").all() and (df.ci_units == 12).all() and (df.ci_samples == 120).all()
    md = evaltables.topk_markdown(df, "t", "auc")
    assert "95% paired bootstrap interval over the 12 test groups" in md and "cluster bootstrap" in md
    assert "100 resamples" in md
    samples = evaltables.topk_table(records, [str(full_dir / "metrics.json")], "auc", n_resamples=100,
                                    unit="sample")
    assert "over the 120 test samples (each resampled on its own)" in evaltables.topk_markdown(samples, "t", "auc")


def test_a_single_unit_gives_no_interval_rather_than_a_zero_width_one(tmp_path):
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 30).astype(float)
    a = write_grouped(tmp_path / "a.csv", y, y + rng.standard_normal(30), ["v0"] * 30, ["coach0"] * 30)
    b = write_grouped(tmp_path / "b.csv", y, y + 3 * rng.standard_normal(30), ["v0"] * 30, ["coach0"] * 30)
    ci = bootstrap.paired_difference("auc", [(a, b)], n_resamples=50, unit="subject")
    assert ci["n_units"] == 1 and np.isnan(ci["low"]) and np.isnan(ci["high"]) and ci["delta"] > 0
    assert evaltables.delta_ci(ci["delta"], ci["low"], ci["high"]).endswith("[no interval]")
    df = pd.DataFrame([{**evaltables.ci_columns(ci), "ci_undefined": 0}])
    assert "over the 1 test subject (" in evaltables.interval_note(df) and "no interval" in evaltables.interval_note(df)


def test_models_that_predict_different_samples_are_named(tmp_path):
    y, pred = np.array([0.0, 1, 0, 1]), np.array([0.2, 0.8, 0.4, 0.6])
    a = write_grouped(tmp_path / "a.csv", y, pred, ["v1", "v1", "v2", "v2"])
    b = write_grouped(tmp_path / "b.csv", y[:3], pred[:3], ["v1", "v1", "v2"])
    with pytest.raises(InputError, match="b.csv: predicts other test samples than .*a.csv"):
        bootstrap.paired_difference("auc", [(a, a), (a, b)], 10)
