"""The best seed: one rule for every step that picks one (attribution, fusion, the tables, the paper table)."""
import json
import math

import pytest

from subspace.errors import InputError
from subspace.runs import best_of, best_seed, read_metrics


def record(devel):
    return {"scores": {"devel": devel}}


def test_the_best_seed_is_the_highest_devel_score_the_first_on_ties_never_nan():
    assert best_seed([record(0.5), record(0.7), record(0.7), record(0.6)]) == 1
    assert best_seed([record(math.nan), record(0.1)]) == 1
    with pytest.raises(ValueError, match="undefined"):
        best_seed([record(math.nan)])


def test_metrics_files_are_read_and_checked(tmp_path):
    good, bad = tmp_path / "a.json", tmp_path / "b.json"
    good.write_text(json.dumps({"scores": {"devel": 0.8, "test": 0.7}, "seed": 3}))
    bad.write_text(json.dumps({"scores": {"test": 0.7}}))
    assert best_of([good])[1]["seed"] == 3
    with pytest.raises(InputError, match="has no devel score"):
        read_metrics(bad)
    (tmp_path / "c.json").write_text("{")
    with pytest.raises(InputError, match="cannot read metrics"):
        read_metrics(tmp_path / "c.json")
