import numpy as np
import pytest

from subspace.metrics import mean_pearson, roc_auc, score


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


def test_score_dispatches_on_task_type():
    assert score("binary", np.array([0, 1]), np.array([0.2, 0.9])) == 1.0
    assert score("regression", np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [2.0]])) == pytest.approx(1.0)
