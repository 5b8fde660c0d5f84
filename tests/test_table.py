"""The `table` layout: the sample table reader (every problem at once), label encoding, pre-computed vectors
and sequences, and the `mlp` decoder (docs/your-corpus.md)."""
import json

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from subspace import store, table
from subspace.cli import main
from subspace.decoder import Decoder, DecoderConfig
from subspace.errors import InputError

SPLITS = {"train": [f"s{i}" for i in range(4)], "dev": ["s4", "s5"], "test": ["s6"]}


def write_table(folder, n_per_group=6, sep=",", name="t.csv", **extra_columns):
    """A table of 7 speakers (4 train, 2 dev, 1 test) with segments of two WAV names, binary and class labels."""
    rows = []
    for split, groups in SPLITS.items():
        for g in groups:
            for k in range(n_per_group):
                rows.append({"utt": f"{g}_{k}", "path": f"wav/{g}.wav", "start": 1.5 * k, "end": 1.5 * k + 1.25,
                             "speaker": g, "split": split, "happy": k % 2, "emotion": ["neu", "hap", "ang"][k % 3],
                             "rating": 1 + (k % 5)})
    df = pd.DataFrame(rows).assign(**extra_columns)
    (folder / "wav").mkdir(exist_ok=True)
    for g in {r["speaker"] for r in rows}:
        (folder / "wav" / f"{g}.wav").write_bytes(b"")
    df.to_csv(folder / name, sep=sep, index=False)
    return folder / name


def spec(path, **extra):
    return dict({"layout": "table", "type": "binary", "targets": ["happy"], "table": str(path),
                 "table_columns": {"id": "utt", "file": "path", "group": "speaker"}, "splits": {"devel": "dev"}},
                **extra)


# (label encoding per target kind: tests/test_targets.py)


# ------------------------------------------------------------------------------------------ table
def test_table_rows_in_table_order_with_mapped_splits_segments_in_ms_and_files(tmp_path):
    rows = table.read_table(spec(write_table(tmp_path)), needs=("file",))
    assert rows.ids[:2] == ["s0_0", "s0_1"] and len(rows) == 42
    assert rows.partitions.count("train") == 24 and rows.partitions.count("devel") == 12
    assert rows.groups[6] == "s1" and (rows.starts[1], rows.ends[1]) == (1500, 2750)
    assert rows.files[0] == str(tmp_path / "wav" / "s0.wav")
    assert rows.labels[:4, 0].tolist() == [0, 1, 0, 1]
    tsv = table.read_table(spec(write_table(tmp_path, sep="\t", name="t.tsv")), needs=("file",))
    assert tsv.ids == rows.ids and np.array_equal(tsv.labels, rows.labels)
    ms = write_table(tmp_path, name="ms.csv")
    pd.read_csv(ms).assign(start=lambda d: d.start * 1000, end=lambda d: d.end * 1000).to_csv(ms, index=False)
    in_ms = table.read_table(spec(ms, table_columns={"id": "utt", "group": "speaker", "unit": "ms"}))
    assert in_ms.starts == rows.starts and in_ms.ends == rows.ends
    whole = tmp_path / "whole.csv"
    pd.read_csv(ms).drop(columns=["start", "end"]).to_csv(whole, index=False)
    assert set(table.read_table(spec(whole)).starts) == {None}


def test_every_problem_of_a_table_is_reported_at_once_with_its_row_and_column(tmp_path):
    path = write_table(tmp_path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[3, "utt"] = "s0_1"                          # a repeated id (line 5)
    df.loc[7, ["start", "end"]] = ["4", "2"]           # start > end (line 9)
    df.loc[12, ["start", "end"]] = ["3", "3"]          # start = end (line 14)
    df.loc[8, "path"] = "wav/missing.wav"              # no such file (line 10)
    df.loc[9, "split"] = "validation"                  # an unknown split name (line 11)
    df.loc[30, "speaker"] = "s0"                       # a train speaker in dev (line 32)
    df.loc[11, "emotion"] = "fru"                      # a class that is not listed (line 13)
    df.to_csv(path, index=False)
    task = spec(path, type="multiclass", targets=["emotion"], classes=["neu", "hap", "ang"])
    with pytest.raises(InputError) as caught:
        table.read_table(task, needs=("file",))
    message = str(caught.value)
    assert message.startswith(f"{path}: 6 problems:")
    for problem in ("id 's0_1' appears twice (rows 3 and 5, column 'utt')",
                    "start ≥ end (an empty segment): start 4, end 2 (rows 9, 14, columns 'start', 'end', in s)",
                    "file 'wav/missing.wav' does not exist", "row 10, column 'path'",
                    "unknown split names ['validation'] (row 11, column 'split')",
                    "group 's0' has samples in train (row 2) and devel (row 32), column 'speaker'",
                    "label 'fru' is not one of the classes ['neu', 'hap', 'ang']: list it in `classes`, or map it onto "
                    "one with `class_map` (row 13, column 'emotion')"):
        assert problem in message, message
    df.loc[30, "speaker"] = "s5"
    df.loc[[3, 7, 8, 9, 11, 12], :] = pd.read_csv(write_table(tmp_path, name="fresh.csv"), dtype=str,
                                                 keep_default_na=False).loc[[3, 7, 8, 9, 11, 12], :]
    df.to_csv(path, index=False)
    table.read_table(task, needs=("file",))  # mended, it reads
    df.loc[30, "speaker"] = "s0"
    df.to_csv(path, index=False)
    assert len(table.read_table(dict(task, allow_group_leak=True))) == 42


def test_a_class_absent_from_devel_and_missing_scored_labels_are_refused(tmp_path):
    path = write_table(tmp_path)
    df = pd.read_csv(path)
    df.loc[(df.split == "dev") & (df.emotion == "ang"), "emotion"] = "neu"
    df.to_csv(path, index=False)
    task = spec(path, type="multiclass", targets=["emotion"], classes=["neu", "hap", "ang"])
    absent = r"class 'ang' of target 'emotion' has no devel sample \(12 samples\): its recall, and so UAR, "
    with pytest.raises(InputError, match=absent):
        table.read_table(task)
    df.loc[0, "happy"] = None
    df.loc[40, "happy"] = None  # a withheld test label is fine
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"missing or NaN label for a train sample \(row 2, column 'happy'\)"):
        table.read_table(spec(path))


# ---------------------------------------------------------------------------------- pre-computed
def run_store(tmp_path, task, feature, vectors_spec, name="out.h5"):
    out = tmp_path / name
    code = main(["store", "--task", "t", "--feature", feature, "--spec", json.dumps(dict(task, vectors=vectors_spec)),
                 "--out", str(out)])
    return code, out


def test_a_vector_is_a_one_step_sequence_and_every_format_gives_the_same_store(tmp_path, capsys):
    task = spec(write_table(tmp_path))
    ids = table.read_table(task).ids
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((len(ids), 8)).astype(np.float32)
    (tmp_path / "d").mkdir()
    (tmp_path / "d1").mkdir()
    for i, sample_id in enumerate(ids):
        np.save(tmp_path / "d" / f"{sample_id}.npy", matrix[i])          # [D]
        np.save(tmp_path / "d1" / f"{sample_id}.npy", matrix[i][None])   # [1, D]
    order = rng.permutation(len(ids))  # a file's ids in another order than the table's
    np.savez(tmp_path / "m.npz", ids=np.asarray(ids)[order], features=matrix[order])
    with h5py.File(tmp_path / "m.h5", "w") as f:
        f["utt"], f["emb"] = np.asarray(ids, dtype=object)[order].astype("S"), matrix[order]
    np.save(tmp_path / "m.npy", matrix)  # rows in the table's order
    stores = []
    for k, v in enumerate([{"path": str(tmp_path / "d/{id}.npy")}, {"path": str(tmp_path / "d1/{id}.npy")},
                           {"path": str(tmp_path / "m.npz")}, {"path": str(tmp_path / "m.npy")},
                           {"path": str(tmp_path / "m.h5"), "ids_key": "utt", "matrix_key": "emb"}]):
        code, out = run_store(tmp_path, task, "vec", v, f"s{k}.h5")
        assert code == 0, capsys.readouterr().err
        stores.append(store.read_embeddings(out))
    for emb in stores:
        assert [s.shape for s in emb.sequences] == [(1, 8)] * len(ids)
        np.testing.assert_array_equal(np.concatenate(emb.sequences), matrix)
        assert emb.sample_ids.tolist() == ids and emb.groups.tolist() == table.read_table(task).groups
        np.testing.assert_array_equal(emb.train_rows.mean, stores[0].train_rows.mean)


def test_sequences_per_id_keep_their_steps_and_classes_are_indices(tmp_path, capsys):
    task = spec(write_table(tmp_path), type="multiclass", targets=["emotion"], classes=["neu", "hap", "ang"])
    ids = table.read_table(task).ids
    (tmp_path / "d").mkdir()
    for i, sample_id in enumerate(ids):
        np.save(tmp_path / "d" / f"{sample_id}.npy", np.full((1 + i % 3, 4), i, np.float32))
    code, out = run_store(tmp_path, task, "seq", {"path": str(tmp_path / "d/{id}.npy")})
    assert code == 0, capsys.readouterr().err
    emb = store.read_embeddings(out)
    assert [len(s) for s in emb.sequences[:4]] == [1, 2, 3, 1] and emb.sequences[5][0, 0] == 5
    assert emb.timestamps[2].tolist() == [0, 1, 2] and emb.dim_names == [f"seq_{i}" for i in range(4)]
    assert emb.attrs["classes"] == ["neu", "hap", "ang"] and emb.labels[:4, 0].tolist() == [0, 1, 2, 0]


def bad_vectors(case, tmp_path, ids):
    (tmp_path / "d").mkdir()
    for i, sample_id in enumerate(ids):
        np.save(tmp_path / "d" / f"{sample_id}.npy", np.ones(6 if case == "dims" and i == 5 else 5, np.float32) * i)
    if case == "missing":
        (tmp_path / "d" / f"{ids[3]}.npy").unlink()
    if case == "nan":
        np.save(tmp_path / "d" / f"{ids[2]}.npy", np.array([0, np.nan, 0, 0, 0], np.float32))
    if case == "not npy":
        (tmp_path / "d" / f"{ids[1]}.npy").write_text("0.1,0.2")
    if case in ("npz keys", "npz ids"):
        kept = ids[:-1] if case == "npz ids" else ids
        np.savez(tmp_path / "m.npz", names=np.asarray(kept), features=np.ones((len(kept), 5)))
        return {"path": str(tmp_path / "m.npz"), "ids_key": "names" if case == "npz ids" else "ids"}
    if case == "npy rows":
        np.save(tmp_path / "m.npy", np.ones((len(ids) - 2, 5)))
        return {"path": str(tmp_path / "m.npy")}
    return {"path": str(tmp_path / "d/{id}.npy")}


@pytest.mark.parametrize("case, file, problem", [
    ("missing", "d/s0_3.npy", "file does not exist: the features of sample 's0_3'"),
    ("dims", "d/s0_5.npy", "sample 's0_5' has 6 dimensions, the first sample ('s0_0', "),
    ("nan", "d/s0_2.npy", "NaN or Inf in the features of sample 's0_2' (step 0, dimension 1)"),
    ("not npy", "d/s0_1.npy", "cannot read the array (truncated, not a .npy file"),
    ("npz keys", "m.npz", "has no 'ids' array (arrays found: ['names', 'features']): name them with ids_key"),
    ("npz ids", "m.npz", "1 samples of the table"),
    ("npy rows", "m.npy", "40 rows for the 42 rows of the table"),
])
def test_bad_precomputed_features_are_refused_naming_the_file(tmp_path, capsys, case, file, problem):
    task = spec(write_table(tmp_path))
    code, out = run_store(tmp_path, task, "vec", bad_vectors(case, tmp_path, table.read_table(task).ids))
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 1 and err.startswith(f"error: {tmp_path / file}: ") and problem in err, err
    assert not out.exists()


# ----------------------------------------------------------------------------------- decoders
def test_the_gru_decoder_on_vectors_equals_its_one_step_recurrence():
    torch.manual_seed(0)
    model = Decoder(DecoderConfig(d_in=5, n_targets=2, model_dim=4, d_fc_out=3)).eval()
    x = torch.randn(6, 1, 5)
    h = model.inp(x)[:, 0]
    gru = torch.nn.GRUCell(4, 4)
    gru.load_state_dict({k.replace("_l0", ""): v for k, v in model.rnn.state_dict().items()})
    expected = torch.sigmoid(model.out(torch.relu(model.fc(gru(h)))))
    torch.testing.assert_close(model(x, torch.ones(6, dtype=torch.long)), expected)


def test_the_mlp_decoder_is_projection_mean_over_valid_steps_fc_output():
    torch.manual_seed(0)
    model = Decoder(DecoderConfig(d_in=5, n_targets=2, decoder="mlp", model_dim=4, d_fc_out=3)).eval()
    assert not hasattr(model, "rnn")
    x, lengths = torch.randn(3, 4, 5), torch.tensor([1, 4, 2])
    x_padded = x.clone()
    x_padded[0, 1:], x_padded[2, 2:] = 99.0, -7.0  # padding must not count
    mean = torch.stack([model.inp(x[i, :n]).mean(0) for i, n in enumerate(lengths.tolist())])
    expected = torch.sigmoid(model.out(torch.relu(model.fc(mean))))
    torch.testing.assert_close(model(x_padded, lengths), expected)
    with pytest.raises(ValueError, match="decoder must be 'gru' or 'mlp'"):
        Decoder(DecoderConfig(d_in=5, decoder="lstm"))
