import h5py
import numpy as np
import pandas as pd
import pytest

from subspace import data, demo, embed, train
from subspace.errors import InputError
from subspace.store import Embeddings, read_embeddings, write_embeddings


def make_embeddings():
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((t, 3)).astype(np.float32) for t in (2, 5, 1)]
    return Embeddings(sequences=seqs, timestamps=[np.arange(len(s)) * 500 for s in seqs],
                      sample_ids=np.array(["a", "b", "c"], dtype=object),
                      partitions=np.array(["train", "devel", "test"], dtype=object),
                      labels=np.array([[1.0], [0.0], [np.nan]], np.float32), dim_names=["x", "y", "z"],
                      attrs={"task": "humor", "feature": "w2v", "targets": ["humor"], "config_hash": "abc"})


def test_round_trip_keeps_every_sequence_timestamp_label_and_attribute(tmp_path):
    emb = make_embeddings()
    write_embeddings(tmp_path / "e.h5", emb)
    back = read_embeddings(tmp_path / "e.h5")
    for a, b in zip(emb.sequences, back.sequences):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(emb.timestamps, back.timestamps):
        np.testing.assert_array_equal(a, b)
    assert back.sample_ids.tolist() == ["a", "b", "c"]
    assert back.partitions.tolist() == ["train", "devel", "test"]
    np.testing.assert_array_equal(back.labels, emb.labels)
    assert back.dim_names == ["x", "y", "z"]
    assert back.attrs["targets"] == ["humor"] and back.attrs["dim"] == 3 and back.attrs["feature"] == "w2v"
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file is left behind"


def test_subset_and_select_dims():
    emb = make_embeddings()
    dev = emb.subset("devel")
    assert dev.sample_ids.tolist() == ["b"] and dev.sequences[0].shape == (5, 3)
    red = emb.select_dims([2, 0])
    assert red.dim_names == ["z", "x"]
    np.testing.assert_array_equal(red.sequences[1], emb.sequences[1][:, [2, 0]])


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "e.h5"
    write_embeddings(path, make_embeddings())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="e.h5"):
        read_embeddings(path)


def test_hdf5_without_the_store_datasets_is_rejected(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(InputError, match="not an embedding store"):
        read_embeddings(path)


def test_groups_and_subjects_round_trip_and_follow_every_subset(tmp_path):
    emb = make_embeddings()
    assert emb.groups.tolist() == ["a", "b", "c"] and emb.subjects.tolist() == ["a", "b", "c"]  # Mimic: the video
    emb.groups, emb.subjects = np.array(["c1/v1", "c1/v2", "c2/v1"], dtype=object), np.array(["c1", "c1", "c2"])
    write_embeddings(tmp_path / "e.h5", emb)
    back = read_embeddings(tmp_path / "e.h5")
    assert back.groups.tolist() == ["c1/v1", "c1/v2", "c2/v1"] and back.subjects.tolist() == ["c1", "c1", "c2"]
    dev = back.subset("devel")
    assert dev.groups.tolist() == ["c1/v2"] and dev.subjects.tolist() == ["c1"]
    red = back.select_dims([1]).take([2, 0])
    assert red.groups.tolist() == ["c2/v1", "c1/v1"] and red.subjects.tolist() == ["c2", "c1"]


def test_a_store_written_before_groups_derives_them_from_the_sample_ids(tmp_path):
    emb = make_embeddings()
    emb.sample_ids = np.array(["c1/v1/3/0", "c1/v1/4/2000", "c2/v7/1/0"], dtype=object)  # Humor ids
    write_embeddings(tmp_path / "e.h5", emb)
    with h5py.File(tmp_path / "e.h5", "a") as f:
        del f["group"], f["subject"]
    back = read_embeddings(tmp_path / "e.h5")
    assert back.groups.tolist() == ["c1/v1", "c1/v1", "c2/v7"] and back.subjects.tolist() == ["c1", "c1", "c2"]


def test_the_readers_and_the_merge_store_the_sampling_unit(tmp_path):
    spec = {"coaches": {"train": 2, "devel": 1, "test": 1}, "videos_per_coach": 2, "segments_per_video": 4,
            "positive_rate": 0.5, "features": {"w2v": {"dim": 3, "planted": 1, "signal": 1.0}},
            "raw": {"sampling_rate": 1000, "video_fps": 2, "image_size": 16, "signal": 0.5}}
    demo.make_humor(tmp_path, spec, seed=0)
    emb = data.read_humor(tmp_path / "metadata/partition.csv", tmp_path / "label_segments",
                          tmp_path / "feature_segments", "w2v")
    assert emb.groups[0] == "train_coach00/train_coach00_v00" and emb.subjects[0] == "train_coach00"
    assert [g.split("/")[0] for g in emb.groups] == list(emb.subjects)
    assert all(sid.startswith(g + "/") for sid, g in zip(emb.sample_ids, emb.groups))
    media_spec = {"layout": "humor", "type": "binary", "partition_file": str(tmp_path / "metadata/partition.csv"),
                  "targets": ["humor"], "label_dir": str(tmp_path / "label_segments"),
                  "media": {"fau": str(tmp_path / "raw/faces/{subject}/{video}.csv")},
                  "encoder": {"kind": "fau", "pool_ms": 500}}
    for shard in (0, 1):
        shard_emb = embed.extract_shard(media_spec, media_spec["encoder"], "f", shard, 2)
        write_embeddings(tmp_path / f"{shard}.h5", shard_emb)
    merged = embed.merge_shards(media_spec, [tmp_path / "0.h5", tmp_path / "1.h5"], {})
    assert merged.sample_ids.tolist() == emb.sample_ids.tolist()
    assert merged.groups.tolist() == emb.groups.tolist() and merged.subjects.tolist() == emb.subjects.tolist()


def test_predictions_name_the_group_and_subject_of_every_sample(tmp_path):
    rng = np.random.default_rng(0)
    n = 12
    labels = (np.arange(n) % 2).astype(np.float32)[:, None]
    emb = Embeddings([(rng.standard_normal((2, 3)) + y).astype(np.float32) for y in labels[:, 0]],
                     [np.arange(2) * 500] * n, np.array([f"c{i % 3}/v{i % 2}/{i}/0" for i in range(n)], dtype=object),
                     np.array(["train", "devel", "test"] * 4, dtype=object), labels, ["x", "y", "z"])
    train.run(emb, {"model_dim": 4, "d_fc_out": 4}, train.TrainConfig("binary", max_epochs=1), tmp_path,
              targets=["humor"])
    pred = pd.read_csv(tmp_path / "predictions.csv", dtype=str)
    assert list(pred.columns[:4]) == ["sample_id", "partition", "group", "subject"]
    row = pred.set_index("sample_id").loc["c1/v0/4/0"]
    assert (row.group, row.subject, row.partition) == ("c1/v0", "c1", "devel")


def test_inconsistent_or_mistyped_datasets_are_named(tmp_path):
    for name, data in (("partition", np.array(["train"], dtype=object)), ("sample_id", np.arange(3.0)),
                       ("offsets", np.array([0, 5, 2, 8]))):
        path = tmp_path / f"{name}.h5"
        write_embeddings(path, make_embeddings())
        with h5py.File(path, "a") as f:
            del f[name]
            f.create_dataset(name, data=data, dtype=h5py.string_dtype() if data.dtype == object else None)
        with pytest.raises(InputError, match=f"{name}.h5: "):
            read_embeddings(path)
