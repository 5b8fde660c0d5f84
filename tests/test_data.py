from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from subspace import data, datachecks, demo
from subspace.errors import InputError

HUMOR_SPEC = {"coaches": {"train": 2, "devel": 1, "test": 1}, "videos_per_coach": 2, "segments_per_video": 12,
              "positive_rate": 0.5, "features": {"w2v": {"dim": 6, "planted": 2, "signal": 1.0}}}
MIMIC_SPEC = {"videos": {"train": 6, "devel": 3, "test": 2},
              "features": {"faus": {"dim": 20, "planted": 4, "signal": 1.0}}}
TARGETS = ["Approval_", "Disappointment_", "Uncertainty_"]


@pytest.fixture
def humor_root(tmp_path):
    demo.make_humor(tmp_path, HUMOR_SPEC, seed=0)
    return tmp_path


@pytest.fixture
def mimic_root(tmp_path):
    demo.make_mimic(tmp_path, MIMIC_SPEC, TARGETS, seed=0)
    return tmp_path


def read_humor(root):
    return data.read_humor(root / "metadata/partition.csv", root / "label_segments", root / "feature_segments", "w2v")


def test_demo_writes_exactly_the_files_it_declares(humor_root, mimic_root):
    for files in (demo.humor_files(humor_root, HUMOR_SPEC), demo.mimic_files(mimic_root, MIMIC_SPEC)):
        declared = {p for paths in files.values() for p in paths}
        written = {str(p) for p in humor_root.rglob("*") if p.is_file()}
        assert declared <= written


def test_humor_segments_are_the_feature_rows_inside_each_label_window(humor_root):
    emb = read_humor(humor_root)
    n_videos = 4 * 2
    assert len(emb.sample_ids) == n_videos * 12
    assert emb.dim_names == [f"w2v_{i}" for i in range(6)]
    for seq, ts, sid in zip(emb.sequences, emb.timestamps, emb.sample_ids):
        start = int(sid.rsplit("/", 1)[1])
        assert seq.shape == (4, 6)  # 2 s windows of 500 ms frames
        assert ts.tolist() == [start, start + 500, start + 1000, start + 1500]
    # the values are the CSV's rows, unchanged
    coach, video, segment, start = emb.sample_ids[5].split("/")
    df = pd.read_csv(humor_root / "feature_segments/w2v" / coach / f"{video}.csv")
    rows = df[(df.timestamp >= int(start)) & (df.timestamp < int(start) + 2000)].iloc[:, 2:].to_numpy(np.float32)
    np.testing.assert_array_equal(emb.sequences[5], rows)
    labels = pd.read_csv(humor_root / "label_segments" / coach / f"{video}.csv")
    assert emb.labels[5, 0] == labels.humor.iloc[5]
    assert set(emb.partitions) == {"train", "devel", "test"}


def test_empty_window_becomes_one_zero_vector_as_in_the_baseline(humor_root):
    label = humor_root / "label_segments/train_coach00/train_coach00_v00.csv"
    df = pd.read_csv(label)
    df.loc[0, ["timestamp_start", "timestamp_end"]] = [10**7, 10**7 + 2000]
    df.to_csv(label, index=False)
    emb = read_humor(humor_root)
    i = list(emb.sample_ids).index("train_coach00/train_coach00_v00/1/10000000")
    assert emb.sequences[i].shape == (1, 6) and not emb.sequences[i].any()
    assert emb.attrs["empty_segments"] == 1


def test_mimic_one_sample_per_video_with_three_targets(mimic_root):
    emb = data.read_mimic(mimic_root / "partition.csv", mimic_root / "labels.csv", mimic_root / "features",
                          "faus", TARGETS)
    assert emb.sample_ids.tolist() == [f"{i:05d}" for i in range(11)]
    assert emb.labels.shape == (11, 3)
    assert emb.dim_names == demo.FAU_NAMES
    labels = pd.read_csv(mimic_root / "labels.csv", dtype={"filename": str})
    np.testing.assert_allclose(emb.labels, labels[TARGETS].to_numpy(np.float32))
    assert all(8 <= len(s) <= 16 for s in emb.sequences)


def test_missing_column_names_file_and_column(humor_root):
    label = humor_root / "label_segments/devel_coach00/devel_coach00_v01.csv"
    pd.read_csv(label).drop(columns="timestamp_end").to_csv(label, index=False)
    with pytest.raises(InputError, match=r"devel_coach00_v01.csv: missing columns \['timestamp_end'\]"):
        read_humor(humor_root)


def test_nan_in_features_is_reported_with_its_row(humor_root):
    feat = humor_root / "feature_segments/w2v/train_coach01/train_coach01_v00.csv"
    df = pd.read_csv(feat)
    df.loc[3, "w2v_2"] = np.nan
    df.to_csv(feat, index=False)
    with pytest.raises(InputError, match=r"train_coach01_v00.csv: NaN or Inf in features \(row 5, column 'w2v_2'\)"):
        read_humor(humor_root)


def test_feature_dimension_mismatch_between_files(humor_root):
    feat = humor_root / "feature_segments/w2v/train_coach00/train_coach00_v01.csv"
    pd.read_csv(feat).drop(columns="w2v_5").to_csv(feat, index=False)
    with pytest.raises(InputError, match=r"train_coach00_v01.csv: feature dimension 5 differs from 6 in "
                                         r".*train_coach00_v00.csv: missing \['w2v_5'\]$"):
        read_humor(humor_root)


def test_empty_partition_file(humor_root):
    (humor_root / "metadata/partition.csv").write_text("")
    with pytest.raises(InputError, match="partition.csv: file is empty"):
        read_humor(humor_root)


def test_partition_without_devel_samples(mimic_root):
    part = mimic_root / "partition.csv"
    df = pd.read_csv(part, dtype=str)
    df.loc[df.Partition == "devel", "Partition"] = "train"
    df.to_csv(part, index=False)
    with pytest.raises(InputError, match="the devel partition has no samples"):
        data.read_mimic(part, mimic_root / "labels.csv", mimic_root / "features", "faus", TARGETS)


def test_labelled_video_without_features(mimic_root):
    (mimic_root / "features/faus/00003.csv").unlink()
    with pytest.raises(InputError, match="00003.csv: video '00003' \\(train\\) has no feature file"):
        data.read_mimic(mimic_root / "partition.csv", mimic_root / "labels.csv", mimic_root / "features", "faus",
                        TARGETS)


def test_robust_spread_of_sparse_and_constant_dimensions():
    rng = np.random.default_rng(0)
    n = 1000
    sparse = np.where(rng.random(n) < 0.7, 0.0, rng.uniform(0.5, 1.0, n))  # MAD 0: most values are the median
    rows = np.stack([rng.standard_normal(n), sparse, np.full(n, 3.0)], axis=1)
    center, spread = datachecks.robust_spread(rows)
    assert spread[0] == pytest.approx(0.674, abs=0.05)  # the MAD of a standard normal
    assert 0.1 < spread[1] < 1.0  # the spread of the values off the median, not 0
    assert spread[2] == np.inf  # a constant dimension: nothing to judge
    extremes = datachecks.Extremes()
    extremes.add(Path("a.csv"), rows.astype(np.float32))
    extremes.check(center, spread, ["x", "sparse", "constant"])  # 1.0 in a sparse dimension is no outlier
    extremes.add(Path("b.csv"), np.array([[0.0, 0.0, 3.0], [0.1, 1e30, 3.0]], np.float32))
    with pytest.raises(InputError, match=r"b.csv: value 1e\+30 \(row 3, column 'sparse'\) lies"):
        extremes.check(center, spread, ["x", "sparse", "constant"])


def test_extremes_name_the_farthest_value_of_every_dimension_wherever_it_is_read():
    extremes = datachecks.Extremes()
    extremes.add(Path("a.csv"), np.array([[1.0, -9e9], [2.0, 0.0]], np.float32))
    extremes.add(Path("b.csv"), np.array([[0.0, 1.0], [7e9, -1.0], [3.0, 2.0]], np.float32))
    extremes.add(Path("c.csv"), np.array([[1.0, 1.0]], np.float32))
    center, spread = np.zeros(2), np.ones(2)
    extremes.check(center, spread, ["u", "v"], max_deviation=1e10)
    with pytest.raises(InputError, match=r"b.csv: value 7e\+09 \(row 3, column 'u'\)"):
        extremes.check(center, spread * [1.0, 2.0], ["u", "v"], max_deviation=1e6)  # u's maximum is the farthest
    with pytest.raises(InputError, match=r"a.csv: value -9e\+09 \(row 2, column 'v'\)"):
        extremes.check(center, spread, ["u", "v"], max_deviation=1e6)  # the farthest value: a's minimum
    extremes.add(Path("d.csv"), np.array([[2e10, 0.0]], np.float32))
    with pytest.raises(InputError, match=r"d.csv: value 2e\+10 \(row 2, column 'u'\)"):
        extremes.check(center, spread, ["u", "v"], max_deviation=1e6)  # a later file's maximum replaces b's


def test_the_empty_share_allows_at_least_one_window_per_video():
    assert [datachecks.allowed_empty(n, 0.05) for n in (1, 8, 20, 40, 300)] == [1, 1, 1, 2, 15]
    assert datachecks.allowed_empty(300, 0.0) == 0
    assert datachecks.too_many_empty(2, 8, 0.05) == "(25%; max_empty_share 0.05 allows 1)"
    assert datachecks.too_many_empty(1, 8, 0.05) is None


def test_a_higher_max_empty_share_accepts_what_the_default_refuses(humor_root):
    for f in (humor_root / "feature_segments/w2v").rglob("*.csv"):  # the last 3 of 12 windows of every video empty
        df = pd.read_csv(f)
        df[df.timestamp < 18000].to_csv(f, index=False)
    with pytest.raises(InputError, match=r"3 of the 12 label windows of .* \(25%; max_empty_share 0.05 allows 1\)"):
        read_humor(humor_root)
    emb = data.read_humor(humor_root / "metadata/partition.csv", humor_root / "label_segments",
                          humor_root / "feature_segments", "w2v", max_empty_share=0.3)
    assert emb.attrs["empty_share"] == 0.25 and emb.attrs["empty_segments"] == 24


def test_a_first_line_of_data_is_named_as_a_missing_header(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text('"00001",0.5,0.2,0.1\n"00002",0.4,0.3,0.2\n')
    with pytest.raises(InputError, match=r"labels.csv: the first line \(00001,0.5,0.2,0.1\) looks like data, not a "
                                         r"header \('00001' is a number, not a column name\)"):
        data.read_csv(path, ("filename", "Approval_"))
    path.write_text("0,1,2\n3,4,5\n")  # numbers as column names are fine when the expected columns are there
    assert data.read_csv(path, ("0", "2")).columns.tolist() == ["0", "1", "2"]
