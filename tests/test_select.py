import numpy as np
import pytest

from subspace.errors import InputError
from subspace.select import precision_recall, select_dims, selection_record, threshold_value


def test_mean_threshold_keeps_dimensions_strictly_above_the_mean():
    values = np.array([1.0, 5.0, 2.0, 8.0])  # mean 4
    assert threshold_value(values, "mean") == 4.0
    assert select_dims(values, "mean").tolist() == [1, 3]


def test_percentile_thresholds():
    values = np.arange(1, 101, dtype=float)  # 1..100
    assert threshold_value(values, "p75") == pytest.approx(75.25)
    assert select_dims(values, "p75").tolist() == list(range(75, 100))
    assert len(select_dims(values, "p90")) == 10


@pytest.mark.parametrize("bad", ["median", "p0", "p100", "75", "p-5"])
def test_unknown_thresholds_are_rejected(bad):
    with pytest.raises(ValueError, match="unknown threshold"):
        threshold_value(np.ones(3), bad)


def test_a_selection_that_keeps_nothing_is_an_error_naming_the_file():
    with pytest.raises(InputError, match="attr.h5: threshold 'mean' keeps zero dimensions"):
        selection_record(np.ones(4), "mean", list("abcd"), "attr.h5")


def test_selection_record_names_the_kept_dimensions():
    rec = selection_record(np.array([0.1, 0.9, 0.2, 0.8]), "mean", ["AU01", "AU02", "AU04", "AU05"], "x")
    assert rec["kept"] == [1, 3] and rec["kept_names"] == ["AU02", "AU05"]
    assert rec["n_kept"] == 2 and rec["n_total"] == 4


def test_precision_recall():
    assert precision_recall([1, 2, 3, 4], [2, 3, 9]) == (0.5, 2 / 3)
    assert precision_recall([], [1]) == (0.0, 0.0)
