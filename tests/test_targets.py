"""subspace.targets: label encoding per target kind."""
import numpy as np
import pytest

from subspace.targets import LabelError, encode_labels, label_key

NAN = np.nan


def test_binary_labels_are_zero_or_one_written_any_way_and_missing_is_nan():
    out = encode_labels([0, 1, "1", 1.0, "0.0", True, None, NAN, " "], {"type": "binary"})
    np.testing.assert_array_equal(out.ravel(), [0, 1, 1, 1, 0, 1, NAN, NAN, NAN])
    assert out.dtype == np.float32 and out.shape == (9, 1)


def test_binary_with_a_named_positive_value_maps_it_to_one_and_the_other_to_zero():
    spec = {"type": "binary", "positive": "yes"}
    np.testing.assert_array_equal(encode_labels(["yes", "no", " yes", None], spec).ravel(), [1, 0, 1, NAN])
    # numbers compare as numbers: 2, 2.0 and "2" are the same label
    np.testing.assert_array_equal(encode_labels([1, 2.0, "2", 1], {"type": "binary", "positive": 2}).ravel(),
                                  [0, 1, 1, 0])


def test_several_binary_targets_are_encoded_per_column():
    out = encode_labels([["a", "b"], ["b", "c"], ["a", "c"]], {"type": "binary", "positive": "b"})
    np.testing.assert_array_equal(out, [[0, 1], [1, 0], [0, 0]])


def test_multiclass_maps_then_indexes_the_listed_classes():
    spec = {"type": "multiclass", "classes": ["neu", "hap", "sad", "ang"], "class_map": {"exc": "hap"}}
    out = encode_labels(["ang", "exc", "neu", "hap", "sad", ""], spec)
    np.testing.assert_array_equal(out.ravel(), [3, 1, 0, 1, 2, NAN])
    # numeric class codes: the index in `classes`, not the code itself
    np.testing.assert_array_equal(encode_labels([3, 1, 2], {"type": "multiclass", "classes": [1, 2, 3]}).ravel(),
                                  [2, 0, 1])


def test_regression_labels_are_numbers():
    np.testing.assert_array_equal(encode_labels([[1, "2.5"], [" 3", None]], {"type": "regression"}),
                                  [[1, 2.5], [3, NAN]])
    assert encode_labels(np.array([[0.25], [7.0]]), {"type": "regression"}).dtype == np.float32


@pytest.mark.parametrize("values,spec,row,column,message", [
    ([0, 1, 2], {"type": "binary"}, 2, 0, "label '2' is not 0 or 1 .*`positive:`"),
    ([["x", "x"], ["y", "y"], ["x", "z"]], {"type": "binary", "positive": "x"}, 2, 1,
     "'z' is a third value besides the positive 'x' and 'y'.*multiclass"),
    (["neu", "fru"], {"type": "multiclass", "classes": ["neu", "hap"]}, 1, 0,
     r"label 'fru' is not one of the classes \['neu', 'hap'\].*class_map"),
    (["neu", "exc"], {"type": "multiclass", "classes": ["neu", "hap"], "class_map": {"exc": "joy"}}, 1, 0,
     "label 'joy' .mapped from 'exc' by class_map. is not one of the classes"),
    ([1.5, "high"], {"type": "regression"}, 1, 0, "label 'high' is not a number"),
])
def test_a_label_that_does_not_fit_is_named_with_its_row_and_column(values, spec, row, column, message):
    with pytest.raises(LabelError, match=message) as err:
        encode_labels(values, spec)
    assert (err.value.row, err.value.column) == (row, column)


def test_label_keys_write_numbers_one_way():
    assert [label_key(v) for v in (1, 1.0, "1", "1.00", " 1 ", 0.5, "0.50", "hap", None, NAN, "")] == \
           ["1", "1", "1", "1", "1", "0.5", "0.5", "hap", None, None, None]


# ---- the config's target keys ------------------------------------------------------------------------------------
def tiny_config(monkeypatch, **mimic):
    import yaml

    from conftest import ROOT
    monkeypatch.chdir(ROOT)
    config = yaml.safe_load((ROOT / "tests/data/tiny_config.yaml").read_text())
    config["tasks"]["mimic"].update(mimic)
    config.pop("finetune")
    return config


def problems(config) -> dict[str, str]:
    from subspace.config.load import ConfigError, load
    with pytest.raises(ConfigError) as err:
        load(config, ["my.yaml"])
    return {p.key: p.message for p in err.value.problems}


def test_every_target_key_problem_of_a_task_is_listed_at_once(monkeypatch):
    config = tiny_config(monkeypatch, type="multiclass", targets=["emotion", "arousal"], metric="ccc",
                         classes=["neu", "hap", "neu"], class_map={"exc": "joy"}, class_weights={"neu": 2.0, "x": 0},
                         positive="yes")
    found = problems(config)
    assert set(found) == {"tasks.mimic.metric", "tasks.mimic.positive", "tasks.mimic.targets", "tasks.mimic.classes",
                          "tasks.mimic.class_map", "tasks.mimic.class_weights"}, found
    assert "'ccc' does not score multiclass targets: use one of ['uar', 'macro_f1', 'accuracy']" in found[
        "tasks.mimic.metric"]
    assert "['neu'] are listed more than once" in found["tasks.mimic.classes"]
    assert "maps 'exc' onto 'joy', which is not one of the classes" in found["tasks.mimic.class_map"]
    assert "is for binary tasks; this task is multiclass" in found["tasks.mimic.positive"]


@pytest.mark.parametrize("settings,key,message", [
    ({"type": "multiclass", "targets": ["emotion"]}, "tasks.mimic.classes", "lists its classes, at least 2"),
    ({"classes": ["a", "b"]}, "tasks.mimic.classes", "is for multiclass tasks; this task is regression"),
    ({"metric": "auc"}, "tasks.mimic.metric", "use one of ['pearson', 'ccc']"),
    ({"type": "multiclass", "targets": ["e"], "classes": ["a", "b"], "class_weights": {"a": 1.0}},
     "tasks.mimic.class_weights", "missing ['b']"),
])
def test_a_target_setting_that_does_not_fit_the_kind_is_refused(monkeypatch, settings, key, message):
    found = problems(tiny_config(monkeypatch, **settings))
    assert list(found) == [key] and message in found[key], found


def test_any_layout_carries_any_kind_and_the_paper_table_needs_the_papers_metric(monkeypatch):
    from subspace.config.load import load
    config = tiny_config(monkeypatch, type="multiclass", targets=["emotion"], classes=["neu", 1, "sad"],
                         class_map={"exc": 1}, class_weights="balanced")
    config["tasks"]["humor"].update(type="regression", metric="ccc")
    cfg = load(config, ["my.yaml"])
    assert cfg.tasks["mimic"].classes == ["neu", 1, "sad"] and cfg.tasks["humor"].metric == "ccc"
    config["tasks"]["humor"]["features"]["w2v"]["paper"] = "w2v"
    found = problems(config)
    assert list(found) == ["tasks.humor.metric"] and "the paper reports auc for 'humor', not ccc" in found[
        "tasks.humor.metric"]


def test_fine_tuning_with_the_pearson_loss_needs_regression_targets(monkeypatch):
    import yaml

    from conftest import ROOT
    config = tiny_config(monkeypatch, type="binary", targets=["Approval_"])
    config["finetune"] = yaml.safe_load((ROOT / "tests/data/tiny_config.yaml").read_text())["finetune"]
    assert "needs regression targets, not binary" in problems(config)["finetune.mimic"]


# ---- training per kind, and every step after it, on stores built here ---------------------------------------------
CLASSES = ["neu", "hap", "sad"]


def kind_store(path, kind, n=(90, 45, 30), dim=10, seed=0, rows=3, noise=0):
    """A store whose labels are planted in dimensions 0-2: multiclass (class c lifts dimension c), two binary
    targets (dimensions 0 and 1), or two regression targets on a 1-5 and a 0-100 scale (dimensions 0 and 1).
    ``noise`` draws other features for the same samples and labels (a second modality)."""
    from subspace.store import Embeddings, write_embeddings
    rng = np.random.default_rng(seed)
    total = sum(n)
    parts = np.array(["train"] * n[0] + ["devel"] * n[1] + ["test"] * n[2], dtype=object)
    shift = np.zeros((total, dim))
    if kind == "multiclass":
        y = rng.integers(0, 3, total)
        labels, shift[np.arange(total), y] = y[:, None].astype(np.float32), 1.5
    elif kind == "binary":
        labels = rng.integers(0, 2, (total, 2)).astype(np.float32)
        shift[:, :2] = 1.5 * labels
    else:
        z = rng.normal(size=(total, 2))
        labels = (np.column_stack([3 + z[:, 0], 50 + 20 * z[:, 1]])).astype(np.float32)
        shift[:, :2] = 1.2 * z
    rng = np.random.default_rng([seed, noise])
    sequences = [(rng.normal(size=(rows, dim)) + shift[i]).astype(np.float32) for i in range(total)]
    emb = Embeddings(sequences, [np.arange(rows) * 500] * total, np.array([f"v{i:03d}" for i in range(total)],
                                                                          dtype=object),
                     parts, labels, [f"d{i}" for i in range(dim)],
                     groups=np.array([f"g{i // 3}" for i in range(total)], dtype=object))
    write_embeddings(path, emb)
    return emb


def train_spec(kind, **extra):
    targets = {"multiclass": ["emotion"], "binary": ["laugh", "smile"], "regression": ["rating", "percent"]}[kind]
    return {"task_type": kind, "targets": targets, "classes": CLASSES if kind == "multiclass" else None,
            "metric": None, "class_weights": None,
            "decoder": {"model_dim": 8, "d_fc_out": 8, "rnn_layers": 1, "activation": "auto"},
            "train": {"lr": 0.01, "batch_size": 16, "max_epochs": 12, "early_stopping_patience": 4}, **extra}


def test_a_multiclass_decoder_gives_class_probabilities_scored_by_the_chosen_metric(tmp_path):
    import pandas as pd
    from sklearn.metrics import f1_score

    from subspace import train
    emb = kind_store(tmp_path / "s.h5", "multiclass")
    record = train.run_seed(emb, train_spec("multiclass", metric="macro_f1", class_weights="balanced"), 1,
                            tmp_path / "m")
    pred = pd.read_csv(tmp_path / "m/predictions.csv")
    probs = pred[[f"prob_emotion_{c}" for c in CLASSES]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert (pred.pred_emotion == probs.argmax(1)).all() and set(pred.label_emotion) == {0, 1, 2}
    devel = pred[pred.partition == "devel"]
    assert record["metric"] == "macro_f1" and record["activation"] == "softmax"
    assert record["scores"]["devel"] == pytest.approx(f1_score(devel.label_emotion, devel.pred_emotion,
                                                               average="macro"))
    assert record["scores"]["devel"] > 0.7  # the planted classes are learned
    ckpt = train.load_checkpoint(tmp_path / "m/model.pt")
    assert ckpt["classes"] == CLASSES and ckpt["model"].cfg.n_targets == 3


def test_balanced_class_weights_are_scikit_learns_and_reach_the_loss():
    from sklearn.utils.class_weight import compute_class_weight

    from subspace.loss import task_loss as loss
    from subspace.targets import class_weights
    y = np.array([0, 0, 0, 0, 1, 2, 2, 0], dtype=np.float32)[:, None]
    weights = class_weights("balanced", CLASSES, y)
    np.testing.assert_allclose(weights, compute_class_weight("balanced", classes=np.arange(3), y=y[:, 0].astype(int)))
    assert class_weights({"sad": 3, "neu": 1, "hap": 2.5}, CLASSES, y) == [1.0, 2.5, 3.0]
    criterion, on_activated = loss("multiclass", "softmax", weights)
    assert not on_activated and criterion.weight.tolist() == pytest.approx(weights)


def test_targets_outside_zero_one_are_standardised_and_mapped_back_and_a_sigmoid_is_refused(tmp_path):
    import pandas as pd

    from subspace import train
    from subspace.errors import InputError
    emb = kind_store(tmp_path / "s.h5", "regression")
    record = train.run_seed(emb, train_spec("regression", metric="ccc"), 1, tmp_path / "m")
    pred = pd.read_csv(tmp_path / "m/predictions.csv")
    assert record["activation"] == "standardise" and record["metric"] == "ccc"
    assert 1.5 < pred.pred_rating.mean() < 4.5 and 35 < pred.pred_percent.mean() < 65  # on the labels' scales
    assert record["scores"]["devel"] > 0.4
    ckpt = train.load_checkpoint(tmp_path / "m/model.pt")
    assert ckpt["model"].cfg.target_mean == pytest.approx(emb.subset("train").labels.mean(0), rel=1e-5)
    spec = train_spec("regression")
    spec["decoder"]["activation"] = "sigmoid"
    with pytest.raises(InputError, match=r"seed 1: a sigmoid output lies in \(0, 1\), but target 'rating' ranges "
                                         r"over \[.*training.activation: auto"):
        train.run_seed(emb, spec, 1, tmp_path / "s", source="s.h5")
    assert not (tmp_path / "s").exists()  # refused before training: nothing written


def test_a_binary_decoder_without_a_sigmoid_still_writes_probabilities(tmp_path):
    import pandas as pd

    from subspace import train
    emb = kind_store(tmp_path / "s.h5", "binary")
    spec = train_spec("binary", metric="uar")
    spec["decoder"]["activation"] = "none"
    record = train.run_seed(emb, spec, 1, tmp_path / "m")
    pred = pd.read_csv(tmp_path / "m/predictions.csv")
    assert pred[["pred_laugh", "pred_smile"]].stack().between(0, 1).all()
    devel = pred[pred.partition == "devel"]
    from sklearn.metrics import balanced_accuracy_score
    assert record["scores"]["devel"] == pytest.approx(np.mean([balanced_accuracy_score(
        devel[f"label_{t}"], devel[f"pred_{t}"] >= 0.5) for t in ("laugh", "smile")]))


def test_few_optimisation_steps_per_epoch_are_logged_recorded_and_noted_in_the_table(tmp_path, caplog):
    from subspace import tables, train
    emb = kind_store(tmp_path / "s.h5", "binary", n=(40, 20, 0))
    spec = train_spec("binary")
    spec["train"]["batch_size"] = 256
    record = train.run_seed(emb, spec, 1, tmp_path / "m")
    assert record["steps_per_epoch"] == 1
    assert "1 optimisation step per epoch (40 samples, batch_size 256)" in record["small_data"]
    assert "set training.batch_size to 10 or less" in caplog.text
    many = train.run_seed(emb, train_spec("binary"), 1, tmp_path / "n")  # batch 16: 3 steps, still few
    assert many["steps_per_epoch"] == 3 and many["small_data"]
    summary = {"n_kept": 2, "n_total": 10}
    (tmp_path / "sel.json").write_text(__import__("json").dumps(summary))
    df = tables.comparison_table("t", {"f": [str(tmp_path / "m/metrics.json")]},
                                 {("f", "mean"): [str(tmp_path / "n/metrics.json")]},
                                 {("f", "mean"): str(tmp_path / "sel.json")})
    assert "Few optimisation steps per epoch (see the training logs): f: the training partition gives 1 " \
           "optimisation step per epoch" in tables.to_markdown(df, "auc")


@pytest.mark.parametrize("kind,metric", [("multiclass", "uar"), ("binary", "macro_f1"), ("regression", "ccc")])
def test_every_kind_runs_through_the_steps_after_the_store(tmp_path, kind, metric, monkeypatch):
    """train (two features, two seeds) -> attribute -> select -> rank -> top-k sweep and table -> seed
    attributions and stability -> fusion -> the paper's table, each as `python -m subspace <step>` runs it."""
    import json

    import pandas as pd

    from subspace.cli import main
    monkeypatch.chdir(tmp_path)
    spec = train_spec(kind, metric=metric)
    attribution = json.dumps({"n_steps": 16, "batch_size": 64, "multiclass": "labelled"})
    for feature, noise in (("a", 0), ("b", 1)):
        kind_store(f"{feature}.h5", kind, noise=noise)
        assert main(["train", "--embeddings", f"{feature}.h5", "--spec", json.dumps(spec), "--seed", "1", "2",
                     "--out-dir", f"{feature}/full/seed1", f"{feature}/full/seed2"]) == 0
        assert main(["attribute", "--embeddings", f"{feature}.h5", "--model-dirs", f"{feature}/full/seed1",
                     f"{feature}/full/seed2", "--spec", attribution, "--out", f"{feature}.ig.h5"]) == 0
        assert main(["select", "--attributions", f"{feature}.ig.h5", "--threshold", "mean",
                     "--out", f"{feature}.mean.json"]) == 0
        assert main(["train", "--embeddings", f"{feature}.h5", "--spec", json.dumps(spec), "--seed", "1", "2",
                     "--selection", f"{feature}.mean.json", "--out-dir", f"{feature}/mean/seed1",
                     f"{feature}/mean/seed2"]) == 0
    kept = json.loads(open("a.mean.json").read())["kept"]
    planted = {0, 1, 2} if kind == "multiclass" else {0, 1}
    assert planted <= set(kept), kept  # IG finds the planted dimensions of every kind
    assert main(["rank", "--embeddings", "a.h5", "--attributions", "a.ig.h5", "--task-type", kind, "--methods",
                 json.dumps(["ig", "random", "saliency", "mutual_info", "l1_linear"]), "--out", "rank.json"]) == 0
    for method in ("ig", "random"):
        assert main(["topk_train", "--embeddings", "a.h5", "--rankings", "rank.json", "--method", method, "--k",
                     "[3]", "--spec", json.dumps(spec), "--seed", "1", "--models-dir", f"topk/{method}",
                     "--out", f"topk_{method}.json"]) == 0
    table_spec = {"task_type": kind, "metric": metric, "records": {m: [f"topk_{m}.json"] for m in ("ig", "random")},
                  "full": ["a/full/seed1/metrics.json"], "unit": "group"}
    assert main(["topk_table", "--task", "t", "--feature", "a", "--spec", json.dumps(table_spec), "--csv", "topk.csv",
                 "--md", "topk.md", "--figures", "topk.png"]) == 0
    topk = pd.read_csv("topk.csv").set_index("method")
    assert topk.loc["ig", "minus_random"] > 0 and np.isfinite(topk.loc["ig", "minus_random_low"])
    assert f"Devel {metric} of decoders" in open("topk.md").read()
    assert main(["seed_attributions", "--embeddings", "a.h5", "--attributions", "a.ig.h5", "--model-dirs",
                 "a/full/seed1", "a/full/seed2", "--spec", attribution, "--out", "seeds.json"]) == 0
    assert main(["stability", "--task", "t", "--spec", json.dumps({"features": {"a": "seeds.json"},
                 "thresholds": ["mean"]}), "--csv", "stab.csv", "--md", "stab.md"]) == 0
    members = {f"{f}:{v}": [f"{f}/{v}/seed{s}/metrics.json" for s in (1, 2)] for f in "ab" for v in ("full", "mean")}
    fusion = {"task_type": kind, "targets": spec["targets"], "metric": metric, "classes": spec["classes"],
              "combinations": [["a", "b"], ["a:mean", "b:mean"]], "methods": ["mean", "weighted"], "members": members}
    assert main(["fuse", "--task", "t", "--spec", json.dumps(fusion), "--csv", "fusion.csv", "--md", "fusion.md",
                 "--predictions", "fused.csv"]) == 0
    assert pd.read_csv("fusion.csv")[["devel", "test"]].notna().all().all()
    full_vs_reduced = {"task_type": kind, "metric": metric, "full": {"a": members["a:full"]},
                       "reduced": {"a|mean": members["a:mean"]}, "selections": {"a|mean": "a.mean.json"}}
    assert main(["table", "--task", "t", "--spec", json.dumps(full_vs_reduced), "--csv", "fvr.csv",
                 "--md", "fvr.md"]) == 0
    assert f"full devel {metric}" in open("fvr.md").read()
    if kind == "multiclass":
        assert main(["plot_classes", "--task", "t", "--spec", json.dumps({"attributions": {"a": "a.ig.h5"}}),
                     "--out", "classes.png"]) == 0


def test_the_mimic_reader_encodes_class_names_with_the_tasks_settings(tmp_path):
    from subspace import labels
    from subspace.errors import InputError
    (tmp_path / "labels.csv").write_text("filename,emotion\nv1,hap\nv2,exc\nv3,neu\nv4,\n")
    task = {"type": "multiclass", "classes": ["neu", "hap"], "class_map": {"exc": "hap"}}
    partition_of = {"v1": "train", "v2": "train", "v3": "devel", "v4": "test"}
    got = labels.mimic_labels(tmp_path / "labels.csv", ["emotion"], partition_of, task)
    assert {v: float(y[0]) for v, y in got.items() if v != "v4"} == {"v1": 1.0, "v2": 1.0, "v3": 0.0}
    assert np.isnan(got["v4"][0])  # a test video without a label: withheld
    (tmp_path / "labels.csv").write_text("filename,emotion\nv1,hap\nv2,fru\n")
    with pytest.raises(InputError, match=r"label 'fru' is not one of the classes \['neu', 'hap'\].*\(row 3, column "
                                         r"'emotion'\)"):
        labels.mimic_labels(tmp_path / "labels.csv", ["emotion"], partition_of, task)


def test_statistical_rankings_score_each_class_against_the_rest_and_average_binary_targets():
    from sklearn.metrics import roc_auc_score

    from subspace.statistical import univariate_scores
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 90)
    x = rng.normal(size=(90, 4)) + np.eye(4)[y]  # class c lifts column c; column 3 carries nothing
    multi = univariate_scores(x, y[:, None].astype(float), "multiclass")
    expected = [np.mean([abs(roc_auc_score(y == c, x[:, j]) - 0.5) for c in range(3)]) for j in range(4)]
    np.testing.assert_allclose(multi, expected, rtol=1e-12)
    two = np.column_stack([y == 0, y == 1]).astype(float)
    binary = univariate_scores(x, two, "binary")
    np.testing.assert_allclose(binary, [np.mean([abs(roc_auc_score(t, x[:, j]) - 0.5) for t in two.T])
                                        for j in range(4)], rtol=1e-12)


def test_a_multiclass_decoder_whose_class_probabilities_hardly_vary_is_flagged():
    from subspace.train import collapsed_targets
    labels = np.array([[0.0], [1.0], [2.0], [1.0]])
    flat = np.tile([0.2, 0.5, 0.3], (4, 1)) + 1e-6 * np.arange(4)[:, None]
    assert collapsed_targets(labels, flat, ["emotion"], CLASSES) == ["emotion"]
    assert collapsed_targets(labels, np.eye(3)[[0, 1, 2, 1]], ["emotion"], CLASSES) == []
