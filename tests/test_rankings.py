"""Rankings that are fast and cannot mislead (issue 22 items 5 and 7)."""
import json

import numpy as np
import pytest

from subspace import cli, evaltables, store, train
from subspace.evaluate import input_scale, rank_order, tied_at_cut
from subspace.statistical import knn_mutual_info, l1_linear_scores, window_statistics
from subspace.store import Embeddings


def awkward_columns(rng, n):
    """Columns that exercise the estimator: signal, ties, a large scale, integers, a constant."""
    x = rng.standard_normal((n, 6))
    x[:, 1] = np.round(x[:, 1] + 0.5 * x[:, 0], 1)  # tied values
    x[:, 2] *= 1e4
    x[:, 3] = rng.integers(0, 3, n)
    x[:, 5] = 7.0  # constant
    return x


@pytest.mark.parametrize("n", [40, 700])
def test_mutual_information_is_scikit_learns_estimator(n):
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
    rng = np.random.default_rng(n)
    x = awkward_columns(rng, n)
    y = x[:, 0] + rng.standard_normal(n)
    ours, theirs = knn_mutual_info(x, y, False, seed=4), mutual_info_regression(x, y, random_state=4)
    np.testing.assert_allclose(ours[:5], theirs[:5], rtol=0, atol=1e-12)
    labels = (y > 0.3).astype(int)
    labels[:8] = 2  # a small third class (below 8 samples scikit-learn's distances come from another algorithm)
    ours, theirs = knn_mutual_info(x, labels, True, seed=4), mutual_info_classif(x, labels, random_state=4)
    np.testing.assert_allclose(ours[:5], theirs[:5], rtol=0, atol=1e-12)
    assert ours[5] == 0.0 and ours[0] > 0.05  # a constant carries nothing (scikit-learn: the MI of its noise)


def test_l1_model_is_scikit_learns_lasso_cv_along_lars_paths_without_the_constant_statistics():
    from sklearn.linear_model import LassoCV
    from sklearn.preprocessing import StandardScaler

    from subspace.evaluate import top_k
    from subspace.statistical import lasso_cv
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((600, 3))
    rows = (latent @ rng.standard_normal((3, 20)) + rng.standard_normal((600, 20)))[:, None, :]  # correlated
    rows[:, 0, 3] = 2.0  # one row per sample (every window std is 0), and one dimension constant
    y = rows[:, 0, :] @ (rng.standard_normal((20, 2)) * np.exp(-np.arange(20) / 4.0)[:, None])
    y += rng.standard_normal(y.shape)
    x = StandardScaler().fit_transform(rows[:, 0, :])
    for t in range(2):
        cd = LassoCV(cv=5, max_iter=100000, tol=1e-10).fit(x, y[:, t])
        ours = lasso_cv(x, y[:, t])[0]
        np.testing.assert_allclose(ours, cd.coef_, rtol=0, atol=1e-7)  # the same alpha, the same solution
    stats = window_statistics(list(rows))
    scores = l1_linear_scores(stats, y, "regression", 0)
    expected = np.abs(lasso_cv(x, y)).mean(0)
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    assert scores[3] == 0.0 and top_k(scores, 2).tolist() == sorted(np.argsort(-expected)[:2].tolist())


def test_binary_aucs_equal_scikit_learns_with_ties():
    from sklearn.metrics import roc_auc_score

    from subspace.statistical import binary_aucs
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200).astype(float)
    x = np.round(rng.standard_normal((200, 4)) + y[:, None] * [0.0, 0.5, -1.0, 0.2], 1)
    x[:, 0] = 3.0
    np.testing.assert_allclose(binary_aucs(x, y), [roc_auc_score(y, c) for c in x.T], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="both classes"):
        binary_aucs(x, np.ones(200))


def one_row_store(tmp_path, n=90, dim=6):
    """Sentence-embedding-like: one row per sample; dimension 1 carries the label."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, (n, 1)).astype(np.float32)
    seqs = [(rng.standard_normal((1, dim)) + np.eye(dim)[1] * 1.5 * y).astype(np.float32) for y in labels[:, 0]]
    emb = Embeddings(seqs, [np.zeros(1, dtype=np.int64)] * n, np.array([f"s{i:03d}" for i in range(n)]),
                     np.array(["train"] * 60 + ["devel"] * 15 + ["test"] * 15), labels, [f"d{i}" for i in range(dim)])
    store.write_embeddings(tmp_path / "e.h5", emb)
    return emb


def test_a_ranking_whose_scores_are_all_equal_is_left_out_with_its_reason(tmp_path, caplog):
    emb = one_row_store(tmp_path)
    spec = {"task_type": "binary", "targets": ["humor"], "decoder": {"model_dim": 4, "rnn_layers": 1, "d_fc_out": 4},
            "train": {"lr": 0.01, "batch_size": 16, "max_epochs": 2}}
    train.run(emb, spec["decoder"], train.TrainConfig(task_type="binary", seed=1, **spec["train"]), tmp_path / "m",
              targets=["humor"])
    store.write_attributions(tmp_path / "a.h5", {"mean": np.array([0.1, 0.9, 0.2, 0.3, 0.05, 0.4])}, emb.dim_names,
                             {"model": str(tmp_path / "m")})
    methods = ["ig", "random", "saliency", "mean_score", "std_score", "mutual_info", "l1_linear"]
    with caplog.at_level("WARNING"):
        assert cli.main(["rank", "--embeddings", str(tmp_path / "e.h5"), "--attributions", str(tmp_path / "a.h5"),
                         "--task-type", "binary", "--methods", json.dumps(methods), "--out",
                         str(tmp_path / "r.json")]) == 0
    rankings = json.loads((tmp_path / "r.json").read_text())["methods"]
    std = rankings["std_score"]
    assert std["order"] is None and "every training sample has one row" in std["left_out"]
    assert "index order" in std["left_out"] and any("std_score ranking" in r.getMessage() for r in caplog.records)
    assert len(rankings["saliency"]["order"]) == 6 and "left_out" not in rankings["saliency"]
    for method in ("ig", "mean_score", "mutual_info", "l1_linear"):
        assert "left_out" not in rankings[method] and rankings[method]["order"][0] == 1, method  # the planted dim
    records = {}
    for method in ("ig", "std_score"):
        out = tmp_path / f"{method}.json"
        assert cli.main(["topk-train", "--embeddings", str(tmp_path / "e.h5"), "--rankings", str(tmp_path / "r.json"),
                         "--method", method, "--k", "[2]", "--spec", json.dumps(spec), "--seed", "1",
                         "--models-dir", str(tmp_path / method), "--out", str(out)]) == 0
        records[method] = [str(out)]
    left = json.loads((tmp_path / "std_score.json").read_text())
    assert left["results"] == [] and left["left_out"] == std["left_out"] and not (tmp_path / "std_score").exists()
    df = evaltables.topk_table(records, [str(tmp_path / "m/metrics.json")], "auc", n_resamples=50)
    md = evaltables.topk_markdown(df, "t", "auc")
    assert "| 2 (33%) |" in md and "| left out |" in md and f"- window-std score: {std['left_out']}" in md
    evaltables.topk_figure(df, "t", "auc", [tmp_path / "f.png"])
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_a_tie_at_the_cut_is_recorded_and_marked():
    scores = np.array([0.0, 3.0, 0.0, 2.0, 0.0, 1.0])  # an L1 model that dropped three dimensions
    order = rank_order(scores)
    assert tied_at_cut(scores, order, 3) is None and tied_at_cut(None, order, 3) is None
    assert tied_at_cut(scores, order, 4) == {"by_index": 1, "tied": 3, "score": 0.0}
    assert tied_at_cut(scores, order, 6) is None  # every dimension: nothing chosen
    import pandas as pd
    df = pd.DataFrame([{"method": "l1_linear", "k": 4, "n_seeds": 1, "devel_mean": 0.7, "devel_std": 0.0,
                        "full_devel_mean": 0.8, "full_dims": 6, "left_out": "", "tied_by_index": 1, "tied_of": 3}])
    md = evaltables.topk_markdown(df, "t", "auc")
    assert "| 4 (67%) | 0.7000 † |" in md
    assert ("† L1 linear model, k = 4: 1 of the 4 dimensions were taken in index order among 3 with the same "
            "score") in md


def test_scale_check_names_near_constant_dimensions_and_leaves_them_out():
    rng = np.random.default_rng(0)
    # a MiniLM-like store: 381 dimensions within ~2.5x, two of rounding noise, one nearly constant
    scales = np.concatenate([rng.uniform(0.04, 0.1, 381), [1e-32, 1e-32, 1e-7]])
    seqs = [(rng.standard_normal((1, 384)) * scales + np.r_[np.zeros(383), 0.5]) for _ in range(400)]
    names = [f"d{i}" for i in range(384)]
    scale = input_scale(seqs, dim_names=names)
    assert scale["scale_warning"] == "" and scale["input_std_ratio"] < 3
    assert scale["near_constant_dims"] == "d381, d382, d383" and "left out of the scale check" in scale["scale_note"]
    # one dimension on a 500x larger scale: a warning that names it first
    seqs = [rng.standard_normal((3, 5)) * np.array([1.0, 1.2, 500.0, 0.9, 1.1]) for _ in range(100)]
    scale = input_scale(seqs, dim_names=["a", "b", "c", "d", "e"])
    assert "largest: c (" in scale["scale_warning"] and "normalise: true" in scale["scale_warning"]
    assert scale["near_constant_dims"] == "" and scale["scale_note"] == ""
