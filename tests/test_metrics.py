import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score

from subspace.metrics import mean_ccc, mean_pearson, roc_auc
from subspace.metrics import score
from subspace.targets import metric_of


def test_roc_auc_counts_correctly_ordered_pairs():
    # positives 0.8, 0.4; negatives 0.5, 0.1 -> 3 of 4 pairs ordered correctly
    assert roc_auc(np.array([1, 1, 0, 0]), np.array([0.8, 0.4, 0.5, 0.1])) == pytest.approx(0.75)


def test_mean_pearson_averages_over_targets():
    y = np.array([[1, 1.0], [2, 2], [3, 3], [4, 4.5]])
    p = np.column_stack([y[:, 0] * 2 + 1, -y[:, 1]])
    assert mean_pearson(y, p) == pytest.approx((1.0 - 1.0) / 2)
    assert mean_pearson(y, y) == pytest.approx(1.0)


def test_constant_prediction_scores_zero_correlation():
    y = np.array([[0.1], [0.5], [0.9]])
    assert mean_pearson(y, np.full((3, 1), 0.3)) == 0.0


def test_score_dispatches_on_the_metric():
    assert score("auc", np.array([0, 1]), np.array([0.2, 0.9])) == 1.0
    assert score("pearson", np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [2.0]])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown metric 'r2'"):
        score("r2", np.zeros(2), np.zeros(2))


def test_each_kind_has_its_default_metric_unless_one_is_chosen():
    assert [metric_of({"type": k}) for k in ("binary", "multiclass", "regression")] == ["auc", "uar", "pearson"]
    assert metric_of({"type": "regression", "metric": "ccc"}) == "ccc"


@pytest.fixture
def multiclass():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 200)
    labels[:3] = 3  # every class present; class 3 is rare in the predictions below
    logits = rng.normal(size=(200, 4)) + 1.5 * np.eye(4)[labels] * (rng.random(200) < 0.6)[:, None]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return labels.astype(np.float32)[:, None], probs


@pytest.mark.parametrize("metric,sklearn", [("uar", balanced_accuracy_score), ("accuracy", accuracy_score),
                                            ("macro_f1", lambda y, p: f1_score(y, p, average="macro"))])
def test_class_metrics_equal_scikit_learns_on_the_most_probable_class(multiclass, metric, sklearn):
    labels, probs = multiclass
    expected = sklearn(labels[:, 0].astype(int), probs.argmax(1))
    assert score(metric, labels, probs) == pytest.approx(expected, abs=1e-12)
    assert 0.2 < expected < 0.9  # neither chance nor perfect: the metrics differ from each other here


def test_macro_f1_counts_a_class_never_predicted_as_zero_like_scikit_learn():
    labels, probs = np.array([[0.0], [1.0], [2.0], [2.0]]), np.eye(3)[[0, 1, 1, 1]]
    assert score("macro_f1", labels, probs) == pytest.approx(f1_score([0, 1, 2, 2], [0, 1, 1, 1], average="macro"))
    assert score("macro_f1", labels, probs) == pytest.approx((1 + 0.5 + 0) / 3)


@pytest.mark.parametrize("metric,sklearn", [("uar", balanced_accuracy_score), ("accuracy", accuracy_score),
                                            ("macro_f1", lambda y, p: f1_score(y, p, average="macro")),
                                            ("auc", roc_auc_score)])
def test_binary_targets_are_scored_per_target_and_averaged(metric, sklearn):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, (120, 2)).astype(float)
    probs = np.clip(0.35 * labels + 0.65 * rng.random((120, 2)), 0, 1)
    cut = probs if metric == "auc" else (probs >= 0.5).astype(int)
    expected = np.mean([sklearn(labels[:, k].astype(int), cut[:, k]) for k in range(2)])
    assert score(metric, labels, probs) == pytest.approx(expected, abs=1e-12)


def test_ccc_is_lins_formula_averaged_over_targets():
    rng = np.random.default_rng(2)
    y = rng.normal(size=(50, 2))
    p = 0.7 * y + 0.3 + 0.4 * rng.normal(size=(50, 2))
    per_target = [2 * np.cov(y[:, k], p[:, k], bias=True)[0, 1]
                  / (y[:, k].var() + p[:, k].var() + (y[:, k].mean() - p[:, k].mean()) ** 2) for k in range(2)]
    assert mean_ccc(y, p) == pytest.approx(np.mean(per_target), abs=1e-12)
    # unlike Pearson r, CCC punishes a shift and a scale
    assert mean_ccc(y, y) == pytest.approx(1.0) and mean_ccc(y, 2 * y + 1) < 0.7 < mean_pearson(y, 2 * y + 1)
    assert np.isnan(mean_ccc(np.ones((5, 1)), rng.normal(size=(5, 1))))


# ---- the paired bootstrap's resampled forms (subspace.bootstrap): one weight matrix, every resample at once ------
@pytest.mark.parametrize("metric", ["uar", "macro_f1", "accuracy"])
@pytest.mark.parametrize("units", [None, "groups"])
def test_resampled_class_metrics_equal_scikit_learn_on_each_drawn_resample(multiclass, metric, units):
    from subspace import bootstrap
    labels, probs = multiclass
    unit = np.arange(len(labels)) // 5 if units else None  # 40 groups of 5 samples: a drawn group brings all five
    n_units = len(labels) if unit is None else 40
    idx = bootstrap.bootstrap_indices(n_units, 60, seed=1)
    fast = bootstrap.resampled_scores(metric, labels, probs, idx, unit)
    for r, drawn in enumerate(idx):
        rows = drawn if unit is None else np.concatenate([np.flatnonzero(unit == u) for u in drawn])
        assert fast[r] == pytest.approx(score(metric, labels[rows], probs[rows]), abs=1e-12), r


def test_a_resample_without_a_rare_class_is_scored_over_the_classes_it_has_like_scikit_learn():
    from subspace import bootstrap
    rng = np.random.default_rng(5)
    labels = np.r_[rng.integers(0, 2, 29), 2].astype(float)[:, None]  # class 2: one sample, often not drawn
    probs = np.eye(3)[np.r_[rng.integers(0, 3, 30)]] * 0.8 + 0.1  # ... but often predicted
    idx = bootstrap.bootstrap_indices(30, 80, seed=3)
    assert sum(2 not in labels[rows, 0] for rows in idx) > 20
    for metric in ("uar", "macro_f1"):
        direct = [score(metric, labels[rows], probs[rows]) for rows in idx]
        np.testing.assert_allclose(bootstrap.resampled_scores(metric, labels, probs, idx), direct, atol=1e-12)


def test_resampled_binary_class_metrics_and_ccc_equal_the_direct_computation():
    from subspace import bootstrap
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, (80, 2)).astype(float)
    p = np.clip(0.3 * y + 0.7 * rng.random((80, 2)), 0, 1)
    values = rng.normal(size=(80, 2))
    guess = 0.6 * values + 0.2 + 0.5 * rng.normal(size=(80, 2))
    idx = bootstrap.bootstrap_indices(80, 40, seed=2)
    for metric, labels, preds in (("uar", y, p), ("macro_f1", y, p), ("accuracy", y, p), ("auc", y, p),
                                  ("ccc", values, guess), ("pearson", values, guess)):
        fast = bootstrap.resampled_scores(metric, labels, preds, idx)
        direct = [score(metric, labels[rows], preds[rows]) for rows in idx]
        np.testing.assert_allclose(fast, direct, rtol=0, atol=1e-10, err_msg=metric)


def test_the_paired_bootstrap_reads_class_probabilities_by_column_name(tmp_path, multiclass):
    import pandas as pd

    from subspace import bootstrap
    from subspace.targets import prediction_values
    labels, probs = multiclass
    classes = ["neu", "hap", "sad", "ang"]
    other = np.roll(probs, 1, axis=1)  # a model that is mostly wrong
    paths = []
    for name, p in (("a", probs), ("b", other)):
        frame = pd.DataFrame({"sample_id": [f"s{i:03d}" for i in range(len(labels))], "partition": "test",
                              "group": [f"g{i // 4}" for i in range(len(labels))],
                              **prediction_values(labels, p, ["emotion"], classes)})
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        paths.append(str(tmp_path / f"{name}.csv"))
    ci = bootstrap.paired_difference("uar", [tuple(paths)], n_resamples=200)
    assert ci["delta"] == pytest.approx(score("uar", labels, probs) - score("uar", labels, other))
    assert ci["unit"] == "group" and ci["n_units"] == 50 and 0 < ci["low"] < ci["delta"] < ci["high"]
