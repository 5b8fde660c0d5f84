"""The top-k sweep's two checks (issue 22 items 2 and 3): the top k removed, and a control task of labels
permuted within groups with selectivity = task − control."""
import json

import numpy as np
import pandas as pd
import pytest
from figures import drawn, lines_by_label, visible_axes  # noqa: F401 - drawn is a fixture
from sklearn.metrics import roc_auc_score

from subspace import cli, store, sweeptables
from subspace.control import control_sweep, permute_within_groups
from subspace.errors import InputError
from subspace.store import Embeddings

SPEC = {"task_type": "binary", "targets": ["humor"], "decoder": {"model_dim": 4, "rnn_layers": 1, "d_fc_out": 4},
        "train": {"lr": 0.01, "batch_size": 16, "max_epochs": 2}}


def grouped_store(tmp_path, n_groups=18, per_group=5, dim=6):
    """One row per sample, 5 samples per group (a video); dimension 1 carries the label."""
    rng = np.random.default_rng(2)
    n = n_groups * per_group
    labels = rng.integers(0, 2, (n, 1)).astype(np.float32)
    seqs = [(rng.standard_normal((1, dim)) + np.eye(dim)[1] * 1.5 * y).astype(np.float32) for y in labels[:, 0]]
    groups = np.repeat([f"v{g:02d}" for g in range(n_groups)], per_group)
    parts = np.repeat(["train"] * 12 + ["devel"] * 3 + ["test"] * 3, per_group)
    emb = Embeddings(seqs, [np.zeros(1, dtype=np.int64)] * n, np.array([f"s{i:03d}" for i in range(n)]), parts,
                     labels, [f"d{i}" for i in range(dim)], groups=groups, subjects=groups)
    store.write_embeddings(tmp_path / "e.h5", emb)
    return store.read_embeddings(tmp_path / "e.h5")


def test_labels_are_permuted_within_each_group_of_train_and_devel_and_test_is_untouched():
    labels = np.arange(40, dtype=float).reshape(-1, 1)
    groups = np.repeat(["a", "b", "c", "d", "e", "f", "g", "h"], 5)
    parts = np.repeat(["train", "train", "train", "train", "devel", "devel", "test", "test"], 5)
    out, info = permute_within_groups(labels, groups, parts, seed=0)
    for g in np.unique(groups):  # each group keeps its own labels, in another order
        mine = groups == g
        assert sorted(out[mine, 0]) == sorted(labels[mine, 0])
    assert (out[parts == "test"] == labels[parts == "test"]).all()
    assert not (out[parts == "train"] == labels[parts == "train"]).all()
    assert not (out[parts == "devel"] == labels[parts == "devel"]).all()
    assert info["train"] == {"within": "group", "n_samples": 20, "n_blocks": 4,
                             "unchanged": int((out[parts == "train"] == labels[parts == "train"]).sum())}
    again, _ = permute_within_groups(labels, groups, parts, seed=0)
    assert (again == out).all()  # seeded
    # one sample per group (Mimic: a video is a sample): the whole partition is shuffled
    out, info = permute_within_groups(labels, np.arange(40).astype(str), parts, seed=0)
    assert info["train"]["within"] == "partition" and info["train"]["n_blocks"] == 1
    assert sorted(out[parts == "train", 0]) == sorted(labels[parts == "train", 0])
    assert not (out[parts == "train"] == labels[parts == "train"]).all()


def rankings_file(tmp_path, dim=6):
    order = [1, 3, 0, 2, 4, 5]
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"model": "m", "dim_names": [f"d{i}" for i in range(dim)], "random_seed": 0, "methods": {
        "ig": {"method": "ig", "scores": [3.0, 6.0, 2.0, 5.0, 1.0, 0.0], "order": order},
        "random": {"method": "random", "scores": None, "order": [5, 4, 2, 0, 3, 1]}}}))
    return path


def sweep(tmp_path, method, removal=True, name=None):
    out = tmp_path / f"{name or method}.json"
    args = ["topk-train", "--embeddings", str(tmp_path / "e.h5"), "--rankings", str(tmp_path / "r.json"),
            "--method", method, "--k", "[2]", "--spec", json.dumps(SPEC), "--seed", "1",
            "--models-dir", str(tmp_path / (name or method)), "--out", str(out)]
    assert cli.main(args + (["--removal"] if removal else [])) == 0
    return str(out)


def test_removal_retrains_on_every_dimension_but_the_top_k_and_is_tabled_and_drawn(tmp_path, drawn):  # noqa: F811
    grouped_store(tmp_path)
    rankings_file(tmp_path)
    assert cli.main(["train", "--embeddings", str(tmp_path / "e.h5"), "--spec", json.dumps(SPEC), "--seed", "1",
                     "--out-dir", str(tmp_path / "full")]) == 0
    records = {m: [sweep(tmp_path, m)] for m in ("ig", "random")}
    ig = json.loads(open(records["ig"][0]).read())
    assert ig["results"][0]["dims"] == [1, 3]
    (removed,) = ig["removed"]
    assert removed["dims"] == [0, 2, 4, 5] and removed["n_removed"] == 2 and removed["n_dims"] == 4
    model = json.loads((tmp_path / "ig/minus2/metrics.json").read_text())
    assert model["n_dims"] == 4 and model["scores"] == removed["scores"]
    assert "removed" not in json.loads(open(sweep(tmp_path, "ig", removal=False, name="keep")).read())  # off by default

    df = sweeptables.removal_table(records, [str(tmp_path / "full/metrics.json")], "auc", n_resamples=200)
    row = df.set_index("method").loc["ig"]
    assert (row.k, row.n_left) == (2, 4) and row.removed_devel == removed["scores"]["devel"]
    assert row.kept_devel == ig["results"][0]["scores"]["devel"]
    preds = {name: pd.read_csv(tmp_path / name / "predictions.csv").query("partition == 'test'")
             for name in ("ig/minus2", "random/minus2", "full")}
    auc = {name: roc_auc_score(p.label_humor, p.pred_humor) for name, p in preds.items()}
    assert row.removed_minus_random == pytest.approx(auc["ig/minus2"] - auc["random/minus2"])
    assert row.removed_minus_full == pytest.approx(auc["ig/minus2"] - auc["full"])
    assert row.removed_minus_random_low <= row.removed_minus_random <= row.removed_minus_random_high
    assert row.ci_unit == "group" and row.ci_units == 3
    assert np.isnan(df.set_index("method").loc["random"].removed_minus_random)
    md = sweeptables.removal_markdown(df, "t", "auc")
    assert f"| 2 (33%) | {row.kept_devel:.4f} / {row.removed_devel:.4f} |" in md and "3 test groups" in md
    sweeptables.removal_figure(df, "t", "auc", [tmp_path / "f.png"])
    kept, gone = visible_axes(drawn[0])
    for ax, column in ((kept, "kept_devel"), (gone, "removed_devel")):
        lines = lines_by_label(ax)
        assert lines["Integrated Gradients"][1].tolist() == [df.set_index("method").loc["ig", column]]
        assert lines["random (control)"][1].tolist() == [df.set_index("method").loc["random", column]]


def test_control_task_repeats_the_sweep_on_permuted_labels_and_selectivity_is_task_minus_control(tmp_path):
    emb = grouped_store(tmp_path)
    rankings_file(tmp_path)
    assert cli.main(["train", "--embeddings", str(tmp_path / "e.h5"), "--spec", json.dumps(SPEC), "--seed", "1",
                     "--out-dir", str(tmp_path / "full")]) == 0
    records = {m: [sweep(tmp_path, m, removal=False)] for m in ("ig", "random")}
    attribution = {"n_steps": 4, "internal_batch_size": 256, "batch_size": 32}
    summary = control_sweep(emb, SPEC, attribution, ["ig", "random"], [2], [1], random_seed=0, batch_size=32,
                            out_dir=tmp_path / "control")
    (tmp_path / "control.json").write_text(json.dumps(summary))
    assert summary["permutation"]["train"]["within"] == "group" and summary["permutation"]["train"]["n_blocks"] == 12
    full = pd.read_csv(tmp_path / "control/full/seed1/predictions.csv", dtype={"sample_id": str})
    real = pd.read_csv(tmp_path / "full/predictions.csv", dtype={"sample_id": str})
    test = full.partition == "test"
    assert (full.label_humor[test] == real.label_humor[test]).all()  # the test labels stay real
    assert not (full.label_humor[~test] == real.label_humor[~test]).all()
    assert (full.groupby("group").label_humor.sum() == real.groupby("group").label_humor.sum()).all()
    rankings = json.loads((tmp_path / "control/rankings.json").read_text())
    assert set(rankings["methods"]) == {"ig", "random"} and rankings["model"].endswith("control/full/seed1")
    (ig,) = summary["records"]["ig"]
    assert ig["results"][0]["n_dims"] == 2 and ig["results"][0]["dims"] == sorted(rankings["methods"]["ig"]["order"][:2])

    df = sweeptables.control_table(records, [str(tmp_path / "full/metrics.json")], str(tmp_path / "control.json"),
                                   "auc", n_resamples=200)
    assert df[["method", "k"]].values.tolist() == [["full", 6], ["ig", 2], ["random", 2]]
    row = df.set_index("method").loc["ig"]

    def test_auc(path):
        p = pd.read_csv(path).query("partition == 'test'")
        return roc_auc_score(p.label_humor, p.pred_humor)

    task = json.loads(open(records["ig"][0]).read())["results"][0]
    assert row.selectivity == pytest.approx(test_auc(task["predictions"]) - test_auc(ig["results"][0]["predictions"]))
    assert row.task_test == pytest.approx(task["scores"]["test"]) and row.control_devel == ig["results"][0]["scores"]["devel"]
    assert row.selectivity_low <= row.selectivity <= row.selectivity_high and row.ci_unit == "group"
    whole = df.set_index("method").loc["full"]
    assert whole.selectivity == pytest.approx(
        test_auc(tmp_path / "full/predictions.csv") - test_auc(tmp_path / "control/full/seed1/predictions.csv"))
    md = sweeptables.control_markdown(df, "t", "auc")
    assert "(train: within group, devel: within group)" in md and "| 2 (33%) |" in md
    assert f"{row.selectivity:+.4f} [{row.selectivity_low:+.4f}, {row.selectivity_high:+.4f}]" in md


# --- selection.ranking: auto (issue 22 item 6)


def fake_sweep(tmp_path, devel: dict[str, list[float]], y, noise: dict[str, float]):
    """Sweep records of one seed at k = 2 and 4 with the given devel scores and test predictions (label + noise)."""
    rng = np.random.default_rng(0)
    records = {}
    for method, scores in devel.items():
        results = []
        for n, score in zip((2, 4), scores):
            preds = tmp_path / f"{method}{n}.csv"
            pd.DataFrame({"sample_id": [f"s{i}" for i in range(len(y))], "partition": "test",
                          "group": [f"v{i // 8}" for i in range(len(y))], "label_humor": y,
                          "pred_humor": y + noise[method] * rng.standard_normal(len(y))}).to_csv(preds, index=False)
            results.append({"k": n, "n_dims": n, "scores": {"devel": score, "test": 0.5}, "predictions": str(preds)})
        (tmp_path / f"{method}.json").write_text(json.dumps({"method": method, "seed": 1, "dim": 6, "results": results}))
        records[method] = [str(tmp_path / f"{method}.json")]
    return records


def test_auto_takes_as_many_dimensions_from_the_best_devel_ranking_and_tables_the_choice(tmp_path):
    from subspace import rankchoice

    y = np.random.default_rng(1).integers(0, 2, 80).astype(float)
    records = fake_sweep(tmp_path, {"ig": [0.70, 0.80], "random": [0.95, 0.99], "saliency": [0.80, 0.82]}, y,
                         {"ig": 2.0, "random": 1.0, "saliency": 0.3})
    choice = rankchoice.choose_ranking(records)
    assert choice == {"ranking": "saliency", "devel_by_ranking": {"ig": 0.75, "saliency": 0.81}}  # never random
    (tmp_path / "tie").mkdir()
    tie = fake_sweep(tmp_path / "tie", {"saliency": [0.8, 0.8], "ig": [0.8, 0.8]}, y, {"ig": 1.0, "saliency": 1.0})
    assert rankchoice.choose_ranking(tie)["ranking"] == "ig"  # a tie keeps the paper's
    with pytest.raises(InputError, match="nothing to choose from"):
        rankchoice.choose_ranking({"random": records["random"]})

    ig_mean = np.array([0.1, 0.9, 0.2, 0.8, 0.05, 0.3])  # the mean threshold (0.392) keeps dims 1 and 3
    rankings = {"methods": {"ig": {"order": [1, 3, 5, 2, 0, 4]}, "saliency": {"order": [4, 0, 1, 2, 3, 5]}}}
    store.write_attributions(tmp_path / "a.h5", {"mean": ig_mean}, [f"d{i}" for i in range(6)], {"model": "m"})
    (tmp_path / "r.json").write_text(json.dumps(rankings))
    sweep_arg = json.dumps({"records": records, "rankings": str(tmp_path / "r.json")})
    for extra, kept, ranking in (([], [1, 3], None), (["--sweep", sweep_arg], [0, 4], "saliency")):
        out = tmp_path / f"sel{len(extra)}.json"
        assert cli.main(["select", "--attributions", str(tmp_path / "a.h5"), "--threshold", "mean",
                         "--out", str(out), *extra]) == 0
        sel = json.loads(out.read_text())
        assert sel["kept"] == kept and sel["n_kept"] == 2 and sel["kept_names"] == [f"d{i}" for i in kept]
        assert sel.get("ranking") == ranking
    assert sel["ig_kept"] == [1, 3] and sel["devel_by_ranking"] == {"ig": 0.75, "saliency": 0.81}
    same = rankchoice.ranked_selection(ig_mean, "p75", [f"d{i}" for i in range(6)], rankings,
                                       {"ranking": "ig", "devel_by_ranking": {}}, "a.h5")
    assert same["kept"] == same["ig_kept"]  # IG's top n is IG's threshold selection

    df = sweeptables.choice_table({"w2v": records}, "auc", n_resamples=200)
    row = df.iloc[0]

    def auc(method, n):
        p = pd.read_csv(tmp_path / f"{method}{n}.csv")
        return roc_auc_score(p.label_humor, p.pred_humor)

    expected = np.mean([auc("saliency", n) - auc("ig", n) for n in (2, 4)])
    assert (row.ranking, row.devel, row.ig_devel) == ("saliency", 0.81, 0.75)
    assert row.minus_ig == pytest.approx(expected) and row.minus_ig_low <= row.minus_ig <= row.minus_ig_high
    assert row.ci_unit == "group" and row.ci_units == 10
    md = sweeptables.choice_markdown(df, "t", "auc")
    assert f"| w2v | Saliency | 0.8100 | 0.7500 | {row.minus_ig:+.4f} [{row.minus_ig_low:+.4f}, " in md


def test_auto_without_a_sweep_is_a_config_error(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, TINY
    text = TINY.read_text()
    old_sel, old_ev = "selection: {thresholds: [mean, p75]}", "evaluation: {features: {humor: [w2v]}"
    assert old_sel in text and old_ev in text
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text.replace(old_sel, "selection: {thresholds: [mean, p75], ranking: auto}")
                   .replace(old_ev, "evaluation: {features: {}"))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(tmp_path), "--configfile", str(cfg), "--cores", "1", "-n"], capture_output=True, text=True)
    assert proc.returncode != 0 and "selection.ranking: `auto` chooses among the rankings of the top-k sweep" in (
        proc.stdout + proc.stderr), (proc.stdout + proc.stderr)[-2000:]


def test_auto_makes_a_swept_features_selection_wait_for_its_sweep_and_leaves_the_others_to_ig(tmp_path):
    import re
    import subprocess
    import sys

    from conftest import ROOT, TINY
    text = TINY.read_text()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text.replace("selection: {thresholds: [mean, p75]}", "selection: {thresholds: [mean, p75], ranking: auto}"))

    def dry_run(target):
        proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                               str(tmp_path), "--configfile", str(cfg), "--cores", "1", "-n", "-p", target],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    swept = dry_run("results/humor/selection/w2v/mean.json")
    assert re.search(r"^topk_train\s+8$", swept, re.M) and "--sweep" in swept
    assert '"rankings":"results/humor/evaluation/rankings/w2v.json"' in swept
    other = dry_run("results/mimic/selection/w2v/mean.json")  # mimic has no sweep: IG's selection
    assert "topk_train" not in other and "--sweep" not in other
    assert "results/humor/tables/ranking_choice.md" in dry_run("results/humor/tables/ranking_choice.md")
