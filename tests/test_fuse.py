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
