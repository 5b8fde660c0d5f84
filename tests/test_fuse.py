import json

import numpy as np
import pandas as pd
import pytest

from subspace import fuse, metrics
from subspace.errors import InputError

TARGETS = ["a", "b", "c"]


def write_seed(root, member, seed, devel_score, preds, labels, ids, parts, targets=TARGETS):
    d = root / member / f"seed{seed}"
    d.mkdir(parents=True)
    df = pd.DataFrame({"sample_id": ids, "partition": parts})
    for k, t in enumerate(targets):
        df[f"label_{t}"] = labels[:, k]
        df[f"pred_{t}"] = preds[:, k]
    df.to_csv(d / "predictions.csv", index=False)
    (d / "metrics.json").write_text(json.dumps({"seed": seed, "scores": {"devel": devel_score, "test": 0.0}}))
    return str(d / "metrics.json")


@pytest.fixture
def regression(tmp_path):
    rng = np.random.default_rng(0)
    n = 300
    ids = [f"{i:05d}" for i in range(n)]
    parts = np.array(["train"] * 100 + ["devel"] * 100 + ["test"] * 100)
    y = rng.standard_normal((n, 3))
    # two modalities, each seeing the labels through independent noise; a weaker seed of each
    a = y + rng.standard_normal((n, 3))
    b = y + 1.5 * rng.standard_normal((n, 3))
    noise = rng.standard_normal((n, 3))
    files = {}
    for name, good in (("a:full", a), ("b:mean", b)):
        dv = parts == "devel"
        files[name] = [write_seed(tmp_path, name.replace(":", "_"), 1, metrics.mean_pearson(y[dv], good[dv]),
                                  good, y, ids, parts),
                       write_seed(tmp_path, name.replace(":", "_"), 2, -0.5, noise, y, ids, parts)]
    return tmp_path, files, y, a, b, parts


def test_mean_fusion_averages_the_best_seeds_and_beats_each_modality(regression):
    _, files, y, a, b, parts = regression
    df, singles, fused = fuse.fusion_table("mimic", "regression", TARGETS, [["a", "b:mean"]], ["mean", "weighted"],
                                           files)
    row = df.set_index("method").loc["mean"]
    dv, te = parts == "devel", parts == "test"
    assert row.devel == pytest.approx(metrics.mean_pearson(y[dv], (a[dv] + b[dv]) / 2))
    assert row.test == pytest.approx(metrics.mean_pearson(y[te], (a[te] + b[te]) / 2))
    assert row.best_single == "a:full" and row.seeds == "1 + 1"
    assert row.devel > row.best_single_devel and row.devel_gain > 0
    weighted = df.set_index("method").loc["weighted"]
    assert weighted.devel >= row.devel - 1e-9  # fitted on devel, it is at least as good there
    w = [float(v) for v in weighted.weights.split(";")[0].split(",")]
    assert w[0] > w[1] > 0  # the less noisy modality weighs more
    assert set(singles.member) == {"a:full", "b:mean"}
    m = fused[(fused.method == "mean") & (fused.partition == "devel")]
    np.testing.assert_allclose(m[[f"pred_{t}" for t in TARGETS]].to_numpy(), (a[dv] + b[dv]) / 2, rtol=1e-9)


def test_binary_fusion_uses_probabilities_and_logistic_weights(tmp_path):
    rng = np.random.default_rng(1)
    n = 400
    ids = [f"c/v/{i}/0" for i in range(n)]
    parts = np.array(["train"] * 100 + ["devel"] * 200 + ["test"] * 100)
    y = (rng.random((n, 1)) < 0.4).astype(float)
    p1 = 1 / (1 + np.exp(-(2 * y - 1 + rng.standard_normal((n, 1)))))
    p2 = 1 / (1 + np.exp(-(2 * y - 1 + 1.3 * rng.standard_normal((n, 1)))))
    dv = parts == "devel"
    files = {"w2v:full": [write_seed(tmp_path, "w2v", 1, metrics.roc_auc(y[dv], p1[dv]), p1, y, ids, parts, ["humor"])],
             "bert:full": [write_seed(tmp_path, "bert", 1, metrics.roc_auc(y[dv], p2[dv]), p2, y, ids, parts, ["humor"])]}
    df, _, fused = fuse.fusion_table("humor", "binary", ["humor"], [["w2v", "bert"]], ["mean", "weighted"], files)
    mean = df.set_index("method").loc["mean"]
    assert mean.devel == pytest.approx(metrics.roc_auc(y[dv], (p1[dv] + p2[dv]) / 2))
    assert mean.devel >= mean.best_single_devel
    probs = fused[fused.method == "weighted"]["pred_humor"]
    assert probs.between(0, 1).all()


def test_members_must_predict_the_same_samples_with_the_same_labels(regression):
    root, files, y, a, b, parts = regression
    p = root / "b_mean" / "seed1" / "predictions.csv"
    df = pd.read_csv(p, dtype={"sample_id": str})
    df.loc[5, "label_a"] += 1
    df.to_csv(p, index=False)
    with pytest.raises(InputError, match="labels differ"):
        fuse.fusion_table("mimic", "regression", TARGETS, [["a", "b:mean"]], ["mean"], files)
    df.drop(index=7).to_csv(p, index=False)
    with pytest.raises(InputError, match="other samples"):
        fuse.fusion_table("mimic", "regression", TARGETS, [["a", "b:mean"]], ["mean"], files)
    df.drop(columns=["pred_b"]).to_csv(p, index=False)
    with pytest.raises(InputError, match="missing columns"):
        fuse.fusion_table("mimic", "regression", TARGETS, [["a", "b:mean"]], ["mean"], files)


def test_member_parsing_and_markdown(regression, tmp_path):
    assert fuse.Member.parse("w2v:mean") == fuse.Member("w2v", "mean")
    assert str(fuse.Member.parse("bert")) == "bert:full"
    _, files, *_ = regression
    df, singles, fused = fuse.fusion_table("mimic", "regression", TARGETS, [["a", "b:mean"]], ["mean"], files)
    fuse.write_fusion(df, singles, fused, "mimic", "pearson", tmp_path / "f.csv", tmp_path / "f.md", tmp_path / "p.csv")
    md = (tmp_path / "f.md").read_text()
    assert "| a+b | a:full + b:mean | mean |" in md and "| a:full | 1 |" in md
    assert pd.read_csv(tmp_path / "f.csv").devel_gain.iloc[0] > 0


def write_multiclass_seed(root, member, seed, probs, labels, ids, parts, classes):
    from subspace.targets import prediction_values
    d = root / member / f"seed{seed}"
    d.mkdir(parents=True)
    pd.DataFrame({"sample_id": ids, "partition": parts,
                  **prediction_values(labels, probs, ["emotion"], classes)}).to_csv(d / "predictions.csv", index=False)
    dv, te = parts == "devel", parts == "test"
    (d / "metrics.json").write_text(json.dumps({"seed": seed, "scores": {
        "devel": metrics.uar(labels[dv], probs[dv]), "test": metrics.uar(labels[te], probs[te])}}))
    return str(d / "metrics.json")


def test_multiclass_fusion_averages_class_probabilities_or_weighs_members_fitted_on_devel(tmp_path):
    from sklearn.metrics import balanced_accuracy_score
    rng = np.random.default_rng(2)
    n, classes = 600, ["neu", "hap", "sad", "ang"]
    ids = [f"{i:05d}" for i in range(n)]
    parts = np.array(["train"] * 200 + ["devel"] * 200 + ["test"] * 200)
    y = rng.integers(0, 4, n)

    def member(signal):
        logits = signal * np.eye(4)[y] + rng.standard_normal((n, 4))
        return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    good, weak, noise = member(2.0), member(0.8), member(0.0)  # noise: a member that knows nothing
    labels = y[:, None].astype(float)
    files = {m: [write_multiclass_seed(tmp_path, m.replace(":", "_"), 1, p, labels, ids, parts, classes)]
             for m, p in (("a:full", good), ("b:full", weak), ("c:full", noise))}
    df, _, fused = fuse.fusion_table("mimic", "multiclass", ["emotion"], [["a", "b", "c"]], ["mean", "weighted"],
                                     files, "uar", classes)
    rows = df.set_index("method")
    dv, te = parts == "devel", parts == "test"
    mean = (good + weak + noise) / 3
    assert rows.loc["mean"].devel == pytest.approx(balanced_accuracy_score(y[dv], mean[dv].argmax(1)))
    assert rows.loc["mean"].test == pytest.approx(balanced_accuracy_score(y[te], mean[te].argmax(1)))
    rows_mean = fused[fused.method == "mean"]
    np.testing.assert_allclose(rows_mean[[f"prob_emotion_{c}" for c in classes]].to_numpy(),
                               mean[rows_mean.sample_id.astype(int)], rtol=1e-9)
    w = [float(v) for v in rows.loc["weighted"].weights.split(",")]
    assert w[0] > w[1] > w[2] >= 0 and w[2] < 0.2 * w[0]  # the uninformed member gets (nearly) no weight
    assert rows.loc["weighted"].test > rows.loc["mean"].test  # weighting away the noise helps on unseen samples
    weighted = fused[fused.method == "weighted"]
    assert np.allclose(weighted[[f"prob_emotion_{c}" for c in classes]].sum(axis=1), 1.0)
    assert (weighted.pred_emotion == weighted[[f"prob_emotion_{c}" for c in classes]].to_numpy().argmax(1)).all()
