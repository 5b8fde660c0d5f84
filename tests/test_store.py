import h5py
import numpy as np
import pytest

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
