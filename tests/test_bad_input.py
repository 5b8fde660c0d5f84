"""Real-world input never gives a silent wrong result or a traceback (docs/bad-input.md, issue 14).

Each case breaks a small demo dataset the way real data is broken and asserts the exit code, that
the message names the file and the problem, and that no output is left; the cases that must work
(columns in another order, unsorted rows, words that look like missing values) assert the values.
"""
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from subspace import data, demo, embed, finetune, media, train
from subspace import store as store_module
from subspace.cli import main
from subspace.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
HUMOR = {"coaches": {"train": 2, "devel": 1, "test": 1}, "videos_per_coach": 2, "segments_per_video": 8,
         "positive_rate": 0.5, "features": {"w2v": {"dim": 6, "planted": 2, "signal": 1.0}},
         "raw": {"sampling_rate": 1000, "video_fps": 2, "image_size": 16, "signal": 0.5}}
MIMIC = {"videos": {"train": 6, "devel": 3, "test": 2}, "features": {"faus": {"dim": 20, "planted": 4, "signal": 1.0}}}
TARGETS = ["Approval_", "Disappointment_", "Uncertainty_"]
LABEL = "label_segments/train_coach01/train_coach01_v00.csv"
FEATURE = "feature_segments/w2v/train_coach01/train_coach01_v00.csv"
FACES = "raw/faces/train_coach01/train_coach01_v00.csv"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("pristine")
    demo.make_humor(root / "humor", HUMOR, seed=0)
    demo.make_mimic(root / "mimic", MIMIC, TARGETS, seed=0)
    return root


@pytest.fixture
def humor(pristine, tmp_path):
    shutil.copytree(pristine / "humor", tmp_path / "humor")
    return tmp_path / "humor"


@pytest.fixture
def mimic(pristine, tmp_path):
    shutil.copytree(pristine / "mimic", tmp_path / "mimic")
    return tmp_path / "mimic"


def humor_spec(root, **extra):
    return dict({"layout": "humor", "type": "binary", "partition_file": str(root / "metadata/partition.csv"),
                 "targets": ["humor"], "label_dir": str(root / "label_segments"),
                 "feature_dir": str(root / "feature_segments"),
                 "media": {"fau": str(root / "raw/faces/{subject}/{video}.csv")}}, **extra)


def mimic_spec(root):
    return {"layout": "mimic", "type": "regression", "partition_file": str(root / "partition.csv"),
            "targets": TARGETS, "label_file": str(root / "labels.csv"), "feature_dir": str(root / "features")}


def store(capsys, spec, out, feature=None):
    """Run `store`; exit code, the last stderr line (progress bars come before it) and all of stderr."""
    feature = feature or ("w2v" if spec["layout"] == "humor" else "faus")
    code = main(["store", "--task", spec["layout"], "--feature", feature, "--spec", json.dumps(spec),
                 "--out", str(out)])
    err = capsys.readouterr().err
    return code, err.strip().splitlines()[-1], err


def edit(path, fn, **read):
    df = pd.read_csv(path, keep_default_na=False, dtype=str, **read)
    fn(df).to_csv(path, index=False)


def set_cell(column, row, value):
    def fn(df):
        df[column] = df[column].astype(object)
        df.loc[row, column] = value
        return df
    return fn


def assert_refused(code, err, names, problem, out):
    assert code == 1, err
    assert err.startswith("error: ") and names in err and problem in err, err
    assert not Path(out).exists(), "no partial output"
    assert not list(Path(out).parent.glob(f".{Path(out).name}.tmp*")), "no temporary file left"


def partition_rows(root, partition):
    return pd.read_csv(root / "metadata/partition.csv", dtype=str).query("Partition == @partition").Id.tolist()


def set_humor_labels(root, coaches, value):
    for coach in coaches:
        for f in (root / "label_segments" / coach).glob("*.csv"):
            edit(f, lambda d: d.assign(humor=value))


# ---- bad values and relations: one refused store per case ----------------------------------------------------

HUMOR_CASES = [
    ("label column missing", lambda r: edit(r / LABEL, lambda d: d.rename(columns={"humor": "funny"})),
     LABEL, "missing columns ['humor'] (columns found: ['coach', 'segment_id', 'timestamp_start', 'timestamp_end', "
            "'funny'])"),
    ("label column twice", lambda r: (r / LABEL).write_text(
        (r / LABEL).read_text().replace("timestamp_end,humor", "humor,humor", 1)),
     LABEL, "column 'humor' appears 2 times: which one is meant is ambiguous"),
    ("yes/no labels", lambda r: edit(r / LABEL, lambda d: d.assign(humor=np.where(d.humor == "1", "yes", "no"))),
     LABEL, "non-numeric label "),
    ("label 2 in a binary task", lambda r: edit(r / LABEL, set_cell("humor", 3, "2")),
     LABEL, "label '2' is not 0 or 1 (binary task): name the positive label value with `positive:` (the other "
            "value is then 0) (row 5, column 'humor')"),
    ("NaN label in train", lambda r: edit(r / LABEL, set_cell("humor", 0, "nan")),
     LABEL, "missing or NaN label for a train sample (row 2, column 'humor')"),
    ("empty label in train", lambda r: edit(r / LABEL, set_cell("humor", 1, "")),
     LABEL, "missing or NaN label for a train sample (row 3, column 'humor')"),
    ("Inf label in train", lambda r: edit(r / LABEL, set_cell("humor", 1, "inf")),
     LABEL, "infinite label inf for a train sample (row 3, column 'humor')"),
    ("partition conflict", lambda r: (r / "metadata/partition.csv").write_text(
        (r / "metadata/partition.csv").read_text() + "train_coach01,devel\n"),
     "partition.csv", "'train_coach01' is listed as train (row 3) and as devel (row 6): a sample can be in one "
                      "partition only"),
    ("segment labelled twice", lambda r: edit(r / LABEL, lambda d: pd.concat([d, d.iloc[[2]]])),
     LABEL, "segment 1 at 4000 ms is labelled twice (rows 4 and 10)"),
    ("empty label window", lambda r: edit(r / LABEL, set_cell("timestamp_end", 0, "0")),
     LABEL, "window [0, 0) is empty: timestamp_end must be after timestamp_start (row 2)"),
    ("negative label window", lambda r: edit(r / LABEL, set_cell("timestamp_start", 0, "-2000")),
     LABEL, "negative timestamp -2000 ms (timestamps count from the start of the video) (row 2, column "
            "'timestamp_start')"),
    ("negative feature timestamps", lambda r: edit(r / FEATURE, lambda d: d.assign(
        timestamp=(d.timestamp.astype(int) - 10_000).astype(str))),
     FEATURE, "negative timestamp -10000 ms (timestamps count from the start of the video) (row 2, column "
              "'timestamp')"),
    ("duplicated feature rows", lambda r: edit(r / FEATURE, lambda d: pd.concat([d, d.iloc[[4]]])),
     FEATURE, "timestamp 2000 appears twice within segment_id 1 (rows 6 and 34, column 'timestamp'): duplicated "
              "feature rows?"),
    ("fractional timestamp", lambda r: edit(r / FEATURE, set_cell("timestamp", 2, "1000.5")),
     FEATURE, "timestamp 1000.5 is not a whole number of milliseconds (row 4, column 'timestamp')"),
    ("text timestamp", lambda r: edit(r / FEATURE, set_cell("timestamp", 2, "1 s")),
     FEATURE, "non-numeric timestamp '1 s' (row 4, column 'timestamp')"),
    ("every window of a video empty", lambda r: edit(r / FEATURE, lambda d: d.assign(
        timestamp=(d.timestamp.astype(int) + 60_000).astype(str))),
     FEATURE, "8 of the 8 label windows of"),
    ("non-numeric feature value, named", lambda r: edit(r / FEATURE, set_cell("w2v_4", 6, "n/a?")),
     FEATURE, "non-numeric feature values: 'n/a?' (row 8, column 'w2v_4')"),
    ("devel set of one class", lambda r: set_humor_labels(r, partition_rows(r, "devel"), 1),
     "label_segments", "every label of the devel partition is 1 (one class, 16 samples): ROC AUC is undefined"),
    ("train set of one class", lambda r: set_humor_labels(r, partition_rows(r, "train"), 0),
     "label_segments", "every label of the train partition is 0 (one class, 32 samples): ROC AUC is undefined"),
]


def lines(path, fn):
    """Rewrite a text file through ``fn`` (its lines, without line ends -> new lines)."""
    path.write_text("\n".join(fn(path.read_text().splitlines())) + "\n")


def in_feature_files(root, fn):
    for f in sorted((root / "feature_segments/w2v").rglob("*.csv")):
        fn(f)


def zero_rows(start, end):
    """Every feature value of the rows in [start, end) ms set to 0, as an exporter that zero-fills a gap."""
    def fn(df):
        t = df.timestamp.astype(int)
        df.loc[(t >= start) & (t < end), [c for c in df.columns if c.startswith("w2v")]] = "0"
        return df
    return fn


def rename_w2v_5(df):
    return df.rename(columns={"w2v_5": "x"})


def one_empty_window_per_video(root, partition):
    for coach in partition_rows(root, partition):
        for f in (root / "label_segments" / coach).glob("*.csv"):
            edit(f, set_cell("segment_id", 0, "99"))


# ---- file structure before values (issue 21, item 2) -----------------------------------------------------------
HUMOR_STRUCTURE_CASES = [
    ("partition file without its header line", lambda r: lines(r / "metadata/partition.csv", lambda ls: ls[1:]),
     "partition.csv", "the first line (train_coach00,train) looks like data, not a header ('train' is a value, not a "
                      "column name): is the header line missing?"),
    ("label file without its header line", lambda r: lines(r / LABEL, lambda ls: ls[1:]),
     LABEL, "looks like data, not a header ('1' is a number, not a column name): is the header line missing?"),
    ("a trailing separator on every row", lambda r: lines(r / FEATURE, lambda ls: ls[:1] + [x + "," for x in ls[1:]]),
     FEATURE, "row 2 has 9 fields, the header 8: a trailing separator at the end of the line (32 such rows)"),
    ("the header ends with a separator too", lambda r: lines(r / FEATURE, lambda ls: [x + "," for x in ls]),
     FEATURE, "the header line ends with a separator (an unnamed last column after 'w2v_5')"),
    ("a row one field short", lambda r: lines(r / FEATURE, lambda ls: ls[:4] + [ls[4].rsplit(",", 1)[0]] + ls[5:]),
     FEATURE, "row 5 has 7 fields, the header 8: a missing value still needs its separator"),
    ("a file cut in the middle of a row", lambda r: (r / FEATURE).write_text((r / FEATURE).read_text()[:-40]),
     FEATURE, "row 33 has 4 fields, the header 8: the file ends in the middle of its last row (truncated?)"),
    ("semicolons instead of commas", lambda r: (r / LABEL).write_text((r / LABEL).read_text().replace(",", ";")),
     LABEL, "is one field separated by semicolons: the readers expect commas"),
    ("NUL bytes", lambda r: (r / FEATURE).write_bytes((r / FEATURE).read_bytes()[:90] + b"\0\0" * 8),
     FEATURE, "contains NUL bytes (first at byte 90, line 2): not a text CSV file"),
    ("UTF-16 text", lambda r: (r / LABEL).write_text((r / LABEL).read_text(), encoding="utf-16"),
     LABEL, "is UTF-16 text (as some spreadsheet programs save 'Unicode text'): save it as UTF-8 CSV"),
    ("a feature column renamed in one file", lambda r: edit(r / FEATURE, rename_w2v_5),
     FEATURE, "the 6 feature columns differ from those of "),
    ("... naming the missing and the extra ones", lambda r: edit(r / FEATURE, rename_w2v_5),
     FEATURE, "train_coach00/train_coach00_v00.csv: missing ['w2v_5']; extra ['x']"),
]

# ---- a share of empty or all-zero samples (item 1) and values that break normalisation (item 4) ----------------
HUMOR_VALUE_CASES = [
    ("features in another time unit: one window per video catches every row",
     lambda r: in_feature_files(r, lambda f: edit(f, lambda d: d.assign(timestamp=(d.timestamp.astype(int) // 10)
                                                                       .astype(str)))),
     "train_coach00_v00.csv", "train_coach00_v00.csv have no feature rows or only all-zero ones (88%; max_empty_share "
                              "0.05 allows 1): features 0-1550 ms, windows 0-16000 ms. Features in another time unit "
                              "than the labels"),
    ("all-zero rows count as empty", lambda r: edit(r / FEATURE, zero_rows(2000, 6000)),
     FEATURE, "2 of the 8 label windows of"),
    ("one empty window in every devel video: the partition's share", lambda r: one_empty_window_per_video(r, "devel"),
     "feature_segments/w2v", "2 of the 16 devel samples are empty or all-zero vectors (12%; max_empty_share 0.05 "
                             "allows 1)"),
    ("a sentinel 1e30 in a feature cell", lambda r: edit(r / FEATURE, set_cell("w2v_3", 5, "1e30")),
     FEATURE, "value 1e+30 (row 7, column 'w2v_3') lies 1e+30 robust spreads from the dimension's median"),
    ("a sentinel in a row outside every label window (it still enters the scaler)",
     lambda r: edit(r / FEATURE, lambda d: pd.concat([d, d.iloc[[0]].assign(timestamp="90000", w2v_1="-1e12")])),
     FEATURE, "value -1e+12 (row 34, column 'w2v_1') lies"),
]


@pytest.mark.parametrize("case", HUMOR_CASES + HUMOR_STRUCTURE_CASES + HUMOR_VALUE_CASES,
                         ids=[c[0] for c in HUMOR_CASES + HUMOR_STRUCTURE_CASES + HUMOR_VALUE_CASES])
def test_bad_humor_values_are_refused(humor, tmp_path, capsys, case):
    _, breaker, names, problem = case
    breaker(humor)
    out = tmp_path / "out/w2v.h5"
    code, err, _ = store(capsys, humor_spec(humor), out)
    assert_refused(code, err, names, problem, out)


def mimic_labels_file(fn):
    return lambda r: edit(r / "labels.csv", fn)


MIMIC_CASES = [
    ("target column missing", mimic_labels_file(lambda d: d.drop(columns="Approval_")), "labels.csv",
     "missing columns ['Approval_'] (columns found: ['filename', 'Disappointment_', 'Uncertainty_'])"),
    ("non-numeric target", mimic_labels_file(set_cell("Uncertainty_", 1, "high")), "labels.csv",
     "non-numeric label 'high' (row 3, column 'Uncertainty_')"),
    ("NaN target in devel", mimic_labels_file(set_cell("Approval_", 7, "NaN")), "labels.csv",
     "missing or NaN label for a devel sample (row 9, column 'Approval_')"),
    ("video labelled twice, differently", mimic_labels_file(
        lambda d: pd.concat([d, d.iloc[[2]].assign(Approval_="0.123")])), "labels.csv",
     "video '00002' has two different labels (rows 4 and 13)"),
    ("partition conflict", lambda r: (r / "partition.csv").write_text(
        (r / "partition.csv").read_text() + "00000,test\n"), "partition.csv",
     "'00000' is listed as train (row 2) and as test (row 13)"),
    ("constant target in devel", mimic_labels_file(
        lambda d: d.assign(Disappointment_=np.where(d.index.isin([6, 7, 8]), "0.5", d.Disappointment_))),
     "labels.csv", "target 'Disappointment_' is constant (0.5) in the devel partition (3 samples): Pearson r is "
                   "undefined"),
    ("reversed feature rows with a duplicate", lambda r: edit(r / "features/faus/00004.csv",
                                                             lambda d: pd.concat([d, d.iloc[[0]]]).iloc[::-1]),
     "00004.csv", "timestamp 0 appears twice (rows 2 and"),
    ("an id column between the meta columns", lambda r: [edit(f, lambda d: d.insert(1, "video_id", f.stem) or d)
                                                         for f in sorted((r / "features/faus").glob("*.csv"))],
     "00000.csv", "['timestamp', 'video_id', 'segment_id', 'AU01']: ['segment_id', 'timestamp'] must come before "
                  "every feature column (is 'video_id' an id column?"),
]


def zero_videos(root, partition, n):
    videos = pd.read_csv(root / "partition.csv", dtype=str).query("Partition == @partition").Id.str.strip('"')
    for video in videos[:n]:
        edit(root / f"features/faus/{video}.csv", lambda d: d.assign(**{au: "0" for au in demo.FAU_NAMES}))


MIMIC_FILE_CASES = [
    ("partition file without its header line", lambda r: lines(r / "partition.csv", lambda ls: ls[1:]),
     "partition.csv", "the first line (\"00000\",train) looks like data, not a header"),
    ("an unmatched quote joins the rows after it", lambda r: (r / "partition.csv").write_text(
        (r / "partition.csv").read_text().replace('"""00002"""', '"""00002""', 1)),
     "partition.csv", "the value in row 4, column 'Id' spans several lines ('00002\",train ⏎ \"00003…'): an "
                      "unmatched quote (\") joins the rows after it"),
    ("a row index first (as pandas writes by default)", lambda r: pd.read_csv(
        r / "partition.csv", dtype=str, keep_default_na=False).to_csv(r / "partition.csv"),
     "partition.csv", "the first column has no name (a row index, as pandas writes by default?): the ids must be the "
                      "first column (columns found: ['', 'Id', 'Partition'])"),
    ("a trailing separator on every label row", lambda r: lines(r / "labels.csv",
                                                              lambda ls: ls[:1] + [x + "," for x in ls[1:]]),
     "labels.csv", "row 2 has 5 fields, the header 4: a trailing separator at the end of the line (11 such rows)"),
    ("all-zero videos in devel", lambda r: zero_videos(r, "devel", 2),
     "features/faus", "2 of the 3 devel samples are empty or all-zero vectors (67%; max_empty_share 0.05 allows 1)"),
    ("a float's maximum as a placeholder", lambda r: edit(r / "features/faus/00004.csv",
                                                          set_cell("AU12", 2, "-3.4e38")),
     "00004.csv", "value -3.4e+38 (row 4, column 'AU12') lies 5.3e+38 robust spreads"),
]


@pytest.mark.parametrize("case", MIMIC_CASES + MIMIC_FILE_CASES, ids=[c[0] for c in MIMIC_CASES + MIMIC_FILE_CASES])
def test_bad_mimic_values_are_refused(mimic, tmp_path, capsys, case):
    _, breaker, names, problem = case
    breaker(mimic)
    out = tmp_path / "faus.h5"
    code, err, _ = store(capsys, mimic_spec(mimic), out)
    assert_refused(code, err, names, problem, out)


# ---- what must work: columns by name, rows sorted, words stay words --------------------------------------------

def test_mimic_labels_are_read_by_name_in_any_column_order(mimic):
    before = data.read_mimic(**mimic_args(mimic))
    edit(mimic / "labels.csv", lambda d: d.assign(note="x")[["filename", "Uncertainty_", "note", "Approval_",
                                                             "Disappointment_"]])
    after = data.read_mimic(**mimic_args(mimic))
    np.testing.assert_array_equal(after.labels, before.labels)  # not Uncertainty stored as Approval
    pd.read_csv(mimic / "labels.csv", dtype=str, keep_default_na=False).to_csv(mimic / "labels.csv")  # an index column
    np.testing.assert_array_equal(data.read_mimic(**mimic_args(mimic)).labels, before.labels)


def mimic_args(root):
    return {"partition_file": root / "partition.csv", "label_file": root / "labels.csv",
            "feature_dir": root / "features", "feature": "faus", "targets": TARGETS}


def test_humor_label_is_the_named_column_and_configurable(humor, tmp_path, capsys):
    before = data.read_humor(humor / "metadata/partition.csv", humor / "label_segments",
                             humor / "feature_segments", "w2v")
    for f in (humor / "label_segments").rglob("*.csv"):  # an extra column after the label used to become it
        edit(f, lambda d: d.assign(annotator="7"))
    spec = humor_spec(humor)
    code, _, _ = store(capsys, spec, tmp_path / "a.h5")
    assert code == 0
    with h5py.File(tmp_path / "a.h5") as f:
        np.testing.assert_array_equal(f["labels"][()], before.labels)
    for f in (humor / "label_segments").rglob("*.csv"):
        edit(f, lambda d: d.rename(columns={"humor": "is_funny"}))
    code, _, _ = store(capsys, dict(spec, label_column="is_funny"), tmp_path / "b.h5")
    assert code == 0
    with h5py.File(tmp_path / "b.h5") as f:
        np.testing.assert_array_equal(f["labels"][()], before.labels)


def test_unsorted_feature_rows_are_sorted_with_a_note(humor, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO)
    before = data.read_humor(humor / "metadata/partition.csv", humor / "label_segments",
                             humor / "feature_segments", "w2v")
    edit(humor / FEATURE, lambda d: d.iloc[::-1])
    code, _, err = store(capsys, humor_spec(humor), tmp_path / "w2v.h5")
    assert code == 0 and f"{humor / FEATURE}: feature rows are not in time order: sorted by timestamp" in caplog.text
    after = data.read_humor(humor / "metadata/partition.csv", humor / "label_segments",
                            humor / "feature_segments", "w2v")
    for a, b, ta, tb in zip(after.sequences, before.sequences, after.timestamps, before.timestamps):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ta, tb)


def test_ids_and_text_that_look_missing_stay_text(mimic, tmp_path, capsys):
    words = ["NA", "null", "None"]
    renamed = dict(zip(["00000", "00001", "00006"], words))  # ids may be written with literal quotes: "00000"
    edit(mimic / "partition.csv", lambda d: d.assign(Id=d.Id.str.strip('"').replace(renamed)))
    edit(mimic / "labels.csv", lambda d: d.assign(filename=d.filename.str.strip('"').replace(renamed)))
    for old, new in zip(["00000", "00001", "00006"], words):
        (mimic / f"features/faus/{old}.csv").rename(mimic / f"features/faus/{new}.csv")
    code, _, err = store(capsys, mimic_spec(mimic), tmp_path / "faus.h5")
    assert code == 0, err
    with h5py.File(tmp_path / "faus.h5") as f:
        assert set(words) <= {s.decode() for s in f["sample_id"][()]}
    for word in ["null", "NA", "None", "nan", "n/a"]:
        (tmp_path / "t.csv").write_text(f"sentence_id,word,start,end\n1,{word},0,400\n2,ja,500,900\n")
        assert media.read_transcript(tmp_path / "t.csv").text.tolist() == [word, "ja"]


def test_empty_samples_are_named_with_their_cause_and_their_share_recorded(humor, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO)
    edit(humor / LABEL, set_cell("segment_id", 0, "99"))
    edit(humor / "feature_segments/w2v/devel_coach00/devel_coach00_v01.csv", zero_rows(0, 2000))
    code, _, err = store(capsys, humor_spec(humor), tmp_path / "w2v.h5")
    assert code == 0
    assert "train_coach01/train_coach01_v00/99/0: empty window, became one zero vector: no feature row has " \
           "segment_id 99" in caplog.text
    with h5py.File(tmp_path / "w2v.h5") as f:  # below the limit: counted where a later reader sees it
        assert (f.attrs["empty_segments"], f.attrs["zero_samples"], f.attrs["empty_share"]) == (1, 1, 2 / 64)
    assert "humor/w2v: 64 samples {'train': 32, 'devel': 16, 'test': 16}, dim 6, 2 empty or all-zero (3.1%)" \
           in caplog.text  # the job's one line
    edit(humor / FACES, no_face_in_the_first_window)
    emb = embed.extract_shard(humor_spec(humor), {"kind": "fau", "pool_ms": 500}, "faus-raw", 0, 1)
    assert emb.attrs["empty_segments"] == 1
    assert "train_coach01/train_coach01_v00/99/0: empty, became one zero vector: no frames with a face in " \
           "[0, 2000) ms" in caplog.text


def test_feature_columns_in_another_order_are_matched_by_name(humor):
    def read():
        return data.read_humor(humor / "metadata/partition.csv", humor / "label_segments",
                               humor / "feature_segments", "w2v")
    before = read()
    edit(humor / FEATURE, lambda d: d[["segment_id", "timestamp"] + [f"w2v_{i}" for i in (5, 3, 1, 0, 2, 4)]])
    after = read()
    assert after.dim_names == before.dim_names
    for a, b in zip(after.sequences, before.sequences):
        np.testing.assert_array_equal(a, b)


def nfd(text):
    return unicodedata.normalize("NFD", text)


def test_ids_and_file_names_match_across_unicode_normalisation(humor, mimic, tmp_path, capsys):
    """The coach and video written composed in the CSVs (most editors), decomposed on disk (macOS)."""
    coach, video = "train_coach\u00e901", "train_coach\u00e901_v00"
    part = humor / "metadata/partition.csv"
    part.write_text(part.read_text().replace("train_coach01", coach))
    for folder in (humor / "label_segments", humor / "feature_segments/w2v", humor / "raw/faces"):
        (folder / "train_coach01/train_coach01_v00.csv").rename(folder / f"train_coach01/{nfd(video)}.csv")
        (folder / "train_coach01").rename(folder / nfd(coach))
    code, _, err = store(capsys, humor_spec(humor), tmp_path / "w2v.h5")
    assert code == 0, err
    emb = embed.extract_shard(humor_spec(humor), {"kind": "fau", "pool_ms": 500}, "faus-raw", 0, 1)
    with h5py.File(tmp_path / "w2v.h5") as f:
        ids = f["sample_id"].asstr()[()].tolist()
    assert ids == emb.sample_ids.tolist() and f"{coach}/{video}/1/0" in ids  # composed, as in the partition file
    mimic_video = "vid\u00e903"  # composed in the partition file, decomposed in the labels and the file name
    for f, name in (("partition.csv", mimic_video), ("labels.csv", nfd(mimic_video))):
        (mimic / f).write_text((mimic / f).read_text().replace('"""00003"""', f'"""{name}"""'))
    (mimic / "features/faus/00003.csv").rename(mimic / f"features/faus/{nfd(mimic_video)}.csv")
    code, _, err = store(capsys, mimic_spec(mimic), tmp_path / "faus.h5")
    assert code == 0, err
    (mimic / f"features/faus/{mimic_video}.csv").write_text("two files, one name")
    code, err, _ = store(capsys, mimic_spec(mimic), tmp_path / "faus2.h5")
    assert_refused(code, err, "features/faus", "'vide\\u030103.csv' and 'vid\\xe903.csv' are the same name in "
                                                "different Unicode normalisations", tmp_path / "faus2.h5")


APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02"


def test_hidden_files_beside_data_files_are_skipped_with_a_note(humor, mimic, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO)
    for folder in (humor / "label_segments/train_coach01", humor / "feature_segments/w2v/train_coach01",
                   humor / "raw/faces/train_coach01", mimic / "features/faus"):
        (folder / f"._{sorted(folder.glob('*.csv'))[0].name}").write_bytes(APPLE_DOUBLE)
        (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
        (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (humor / "label_segments/.DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    assert store(capsys, humor_spec(humor), tmp_path / "w2v.h5")[0] == 0
    assert store(capsys, mimic_spec(mimic), tmp_path / "faus.h5")[0] == 0
    assert f"{humor / 'label_segments/train_coach01'}: skipped 3 hidden files left by the operating system " \
           f"(.DS_Store, ._train_coach01_v00.csv, Thumbs.db)" in caplog.text
    assert f"{mimic / 'features/faus'}: skipped 3 hidden files" in caplog.text
    assert extract(capsys, humor_spec(humor), tmp_path / "shard.h5")[0] == 0


def test_frame_folders_skip_hidden_files_and_name_a_corrupt_image(tmp_path):
    from PIL import Image
    for ms in (0, 500):
        Image.new("RGB", (4, 4), (ms // 4, 0, 0)).save(tmp_path / f"{ms}.jpg")
    (tmp_path / "._0.jpg").write_bytes(APPLE_DOUBLE)
    (tmp_path / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    assert [t for t, _ in media.iter_frames(tmp_path, 2)] == [0, 500]
    (tmp_path / "1000.jpg").write_bytes(b"\xff\xd8\xff not a whole jpeg")
    with pytest.raises(InputError, match="1000.jpg: cannot read the frame image"):
        list(media.iter_frames(tmp_path, 2))


# ---- raw media: the same label checks, and their own ------------------------------------------------------------

def extract(capsys, spec, out):
    code = main(["extract", "--task", "humor", "--feature", "faus-raw", "--spec",
                 json.dumps(dict(spec, encoder={"kind": "fau", "pool_ms": 500})), "--shard", "0", "--n-shards", "1",
                 "--out", str(out)])
    return code, capsys.readouterr().err.strip().splitlines()[-1]


RAW_CASES = [
    ("yes/no labels (the label reader is shared)", lambda r: edit(r / LABEL, set_cell("humor", 0, "yes")),
     LABEL, "non-numeric label 'yes' (row 2, column 'humor')"),
    ("no face in any frame of a video", lambda r: edit(r / FACES, lambda d: d.assign(**{au: "" for au in
                                                                                         media.FAU_NAMES})),
     FACES, "8 of the 8 label windows of video 'train_coach01_v00' are empty or all-zero (100%; max_empty_share "
            "0.05 allows 1): the video has no frames with a face at all"),
    ("negative py-feat time", lambda r: edit(r / FACES, set_cell("approx_time", 0, "-1")), FACES,
     "negative time '-1.0' (row 2, column 'approx_time')"),
    ("non-numeric action unit", lambda r: edit(r / FACES, set_cell("AU12", 3, "high")), FACES,
     "non-numeric value 'high' (row 5, column 'AU12')"),
    ("non-numeric face score (was a traceback)", lambda r: edit(r / FACES, set_cell("FaceScore", 3, "high")), FACES,
     "non-numeric face score 'high' (row 5, column 'FaceScore')"),
    ("a truncated py-feat file: faces of the first 2 s only", lambda r: edit(r / FACES, lambda d: d.iloc[:4]),
     FACES, "7 of the 8 label windows of video 'train_coach01_v00' are empty or all-zero (88%; max_empty_share 0.05 "
            "allows 1): no frames with a face in [2000, 4000) ms (the video's frames with a face span 0-1500 ms)"),
]


@pytest.mark.parametrize("case", RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_bad_raw_media_input_is_refused(humor, tmp_path, capsys, case):
    _, breaker, names, problem = case
    breaker(humor)
    out = tmp_path / "shard.h5"
    code, err = extract(capsys, humor_spec(humor), out)
    assert_refused(code, err, names, problem, out)


def faces_of(root, partition, fn):
    for coach in partition_rows(root, partition):
        for f in (root / "raw/faces" / coach).glob("*.csv"):
            edit(f, fn)


def no_face_in_the_first_window(d):
    return d.assign(**{au: np.where(d.frame.astype(int) < 4, "", d[au]) for au in media.FAU_NAMES})


MERGE_CASES = [
    ("a devel set of one class", lambda r: set_humor_labels(r, partition_rows(r, "devel"), 0),
     "label_segments", "every label of the devel partition is 0 (one class"),
    ("one empty window in every devel video: the partition's share",
     lambda r: faces_of(r, "devel", no_face_in_the_first_window),
     "raw/faces/devel_coach00/devel_coach00_v00.csv (1)",
     "2 of the 16 devel samples are empty or all-zero vectors (12%; max_empty_share 0.05 allows 1): "),
    ("a placeholder 1e30 for an action unit", lambda r: edit(r / FACES, set_cell("AU12", 5, "1e30")),
     FACES, "value 1e+30 (sample 'train_coach01/train_coach01_v00/1/2000' at 2500 ms, column 'AU12') lies"),
]


@pytest.mark.parametrize("case", MERGE_CASES, ids=[c[0] for c in MERGE_CASES])
def test_merge_refuses_what_only_the_whole_store_shows(humor, tmp_path, capsys, case):
    _, breaker, names, problem = case
    breaker(humor)
    spec = dict(humor_spec(humor), encoder={"kind": "fau", "pool_ms": 500})
    assert extract(capsys, humor_spec(humor), tmp_path / "shard.h5")[0] == 0
    out = tmp_path / "faus-raw.h5"
    code = main(["merge", "--task", "humor", "--feature", "faus-raw", "--spec", json.dumps(spec),
                 "--shards", str(tmp_path / "shard.h5"), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert_refused(code, err, names, problem, out)


def test_feature_columns_are_every_column_but_segment_id_and_timestamp(mimic):
    edit(mimic / "features/faus/00003.csv", lambda d: d.drop(columns="segment_id"))
    emb = data.read_mimic(**mimic_args(mimic))
    assert emb.dim_names == demo.FAU_NAMES and all(s.shape[1] == 20 for s in emb.sequences)


def test_frame_images_named_below_zero(tmp_path):
    for name in ("-500.jpg", "0.jpg"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(InputError, match=r"-500.jpg: negative timestamp in the file name"):
        list(media.iter_frames(tmp_path, 2))


def test_transcript_times(tmp_path):
    t = tmp_path / "t.csv"
    t.write_text("sentence_id,word,start,end\n1,war,400,700\n1,das,100,400\n2,haha,2500,3000\n")
    assert media.read_transcript(t).text.tolist() == ["das war", "haha"]  # words in time order
    for rows, problem in [("1,das,-100,400\n", "negative time '-100' (row 2, column 'start')"),
                          ("1,das,100,400\n1,das,100,400\n", "row 3 repeats an earlier row"),
                          ("1,das,,400\n", "missing time 'nan' (row 2, column 'start')")]:
        t.write_text("sentence_id,word,start,end\n" + rows)
        with pytest.raises(InputError, match=f"t.csv: {problem}".replace("(", r"\(").replace(")", r"\)")):
            media.read_transcript(t)


# ---- a results folder is data: reading it never runs code (item 9) -----------------------------------------------

class RunsOnUnpickling:
    """What a tampered model.pt could hold: unpickling it calls ``open(marker, 'w')``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def small_store(n=24, dim=4):
    rng = np.random.default_rng(0)
    labels = (np.arange(n) % 2).astype(np.float32)[:, None]
    seqs = [(rng.standard_normal((3, dim)) + y).astype(np.float32) for y in labels[:, 0]]
    parts = np.array(["train", "devel", "test"] * (n // 3), dtype=object)
    return store_module.Embeddings(seqs, [np.arange(3) * 500] * n, np.array([f"{i:05d}" for i in range(n)],
                                                                              dtype=object), parts, labels,
                                   [f"d{i}" for i in range(dim)])


def test_a_checkpoint_loads_without_unpickling_code(tmp_path):
    train.run(small_store(), {"model_dim": 4, "d_fc_out": 4}, train.TrainConfig("binary", max_epochs=1, normalise=True),
              tmp_path / "m")
    plain = torch.load(tmp_path / "m/model.pt", weights_only=True)  # tensors and plain values only
    assert isinstance(plain["mean"], torch.Tensor) and plain["std"].shape == (4,)
    ckpt = train.load_checkpoint(tmp_path / "m/model.pt")
    assert ckpt["mean"].dtype == np.float32 and ckpt["model"].cfg.d_in == 4


def test_a_tampered_checkpoint_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "code ran"
    train.run(small_store(), {"model_dim": 4, "d_fc_out": 4}, train.TrainConfig("binary", max_epochs=1), tmp_path / "m")
    ckpt = torch.load(tmp_path / "m/model.pt", weights_only=True)
    torch.save(dict(ckpt, task_type=RunsOnUnpickling(marker)), tmp_path / "m/model.pt")
    with pytest.raises(InputError, match=r"model.pt: cannot read the model checkpoint safely \(truncated, tampered"):
        train.load_checkpoint(tmp_path / "m/model.pt")
    assert not marker.exists()
    (tmp_path / "m/model.pt").write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(InputError, match="model.pt: cannot read the model checkpoint safely"):
        train.load_checkpoint(tmp_path / "m/model.pt")
    torch.save({"state_dict": {}}, tmp_path / "m/model.pt")
    with pytest.raises(InputError, match=r"model.pt: not a decoder checkpoint: missing \['decoder_config', 'dims'"):
        train.load_checkpoint(tmp_path / "m/model.pt")


def test_a_tampered_fine_tuning_checkpoint_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "code ran"
    torch.save({"spec_hash": "x", "state": RunsOnUnpickling(marker)}, tmp_path / "checkpoint.pt")
    with pytest.raises(InputError, match="checkpoint.pt: cannot read the checkpoint safely"):
        finetune.read_checkpoint(tmp_path / "checkpoint.pt")
    assert not marker.exists()


# ---- model folders: checked before loading, and the file named --------------------------------------------------

def bert_folder(path):
    from safetensors.numpy import save_file
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 8}))
    save_file({"w": np.zeros((64, 64), np.float32)}, str(path / "model.safetensors"))
    (path / "tokenizer.json").write_text("{}")
    return path


MODEL_CASES = [
    ("truncated config.json", lambda p: (p / "config.json").write_text('{"model_type": "be'), "config.json",
     "cannot read the model config (truncated or not JSON?)"),
    ("config.json not UTF-8", lambda p: (p / "config.json").write_bytes(b"\xff\xfe\x00garbage"), "config.json",
     "cannot read the model config"),
    ("no weights", lambda p: (p / "model.safetensors").unlink(), "bert", "no weights file (model.safetensors or "
                                                                          "pytorch_model.bin)"),
    ("truncated weights", lambda p: (p / "model.safetensors").write_bytes((p / "model.safetensors").read_bytes()[:900]),
     "model.safetensors", "cannot read the model weights (truncated or corrupt?)"),
    ("corrupt pytorch_model.bin", lambda p: ((p / "model.safetensors").unlink(),
                                             (p / "pytorch_model.bin").write_bytes(b"PK\x03\x04 cut")),
     "pytorch_model.bin", "cannot read the model weights"),
    ("no tokenizer", lambda p: (p / "tokenizer.json").unlink(), "bert", "no tokenizer in the text model folder"),
    ("corrupt tokenizer_config.json", lambda p: (p / "tokenizer_config.json").write_text("{"),
     "tokenizer_config.json", "cannot read the tokenizer_config.json"),
]


@pytest.mark.parametrize("case", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_corrupt_model_folder_names_the_file(tmp_path, case):
    _, breaker, names, problem = case
    folder = bert_folder(tmp_path / "bert")
    breaker(folder)
    with pytest.raises(InputError) as exc:
        embed.check_model_folder(folder, "text")
    assert names in exc.value.path and problem in exc.value.problem, str(exc.value)


def test_unloadable_tokenizer_is_an_input_error(tmp_path):
    folder = bert_folder(tmp_path / "bert")
    (folder / "tokenizer.json").write_text('{"version": "1.0", "truncated')
    with pytest.raises(InputError, match="cannot load the tokenizer of the text model"):
        embed.load_tokenizer(folder, "text")


def snakemake(workdir, config, *args):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cfg = workdir / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True))
    return subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(workdir), "--configfile", str(cfg), "--cores", "2", *args],
                          env=env, capture_output=True, text=True)


def real_data_config(root, model):
    """A real-data config (no demo section) on a Humor dataset with one text feature from `model`."""
    tiny = yaml.safe_load((ROOT / "tests/data/tiny_config.yaml").read_text())
    for key in ("demo", "fusion", "fau_features", "finetune", "evaluation"):
        tiny.pop(key)
    tiny["encoders"] = {"mbert": {"kind": "text", "model": str(model)}}
    transcripts = str(root / "raw/transcripts/{subject}/{video}.csv")
    tiny["tasks"] = {"humor": dict(humor_spec(root), media={"transcript": transcripts},
                                   features={"bert-raw": {"source": "mbert", "model_dim": 8}})}
    return tiny


def truncated_config(config, model):
    (model / "config.json").write_text('{"model_type": "be')
    return f"encoders.mbert.model: {model / 'config.json'}: cannot read the model config (truncated or not JSON?)"


def template_with_another_name(config, model):
    config["tasks"]["humor"]["media"]["transcript"] = "/data/{coach}/{video}.csv"
    return "tasks.humor.media.transcript: '/data/{coach}/{video}.csv' is not a path template with only {subject} " \
           "and {video} (KeyError: 'coach')"


@pytest.mark.parametrize("breaker", [truncated_config, template_with_another_name])
def test_bad_model_folder_or_media_template_stops_the_workflow_before_any_job(humor, tmp_path, breaker):
    model = bert_folder(tmp_path / "models/bert")
    config = real_data_config(humor, model)
    expected = breaker(config, model)
    proc = snakemake(tmp_path, config, "-n")
    out = proc.stdout + proc.stderr
    # listed under the config file that set the key: the user's (workdir/config.yaml), not the demo's config/config.yaml
    assert proc.returncode != 0 and "config.yaml:\n" in out and f"  - {expected}" in out, out[-3000:]
    assert "config/config.yaml" not in out and "Traceback" not in out
    assert not (tmp_path / "results").exists()


# ---- paths with spaces and non-ASCII characters, end to end ----------------------------------------------------

def test_every_path_in_every_shell_command_is_quoted(tmp_path):
    """The tiny config's whole DAG (every rule) with the results and demo data folders holding a space: each
    printed command splits, as the shell splits it, into arguments none of which is a piece of a path."""
    text = (ROOT / "tests/data/tiny_config.yaml").read_text().replace("resources/demo", "data dir/démo")
    config = dict(yaml.safe_load(text), results="out dir/résultats")
    config["demo"]["root"] = "data dir/démo"
    proc = snakemake(tmp_path, config, "-n", "-p", "--forceall")
    commands = [line.split("Shell command: ", 1)[1] for line in proc.stdout.splitlines()
                if "Shell command: " in line and not line.endswith("Shell command: None")]
    assert proc.returncode == 0 and len(commands) > 40, proc.stderr[-3000:]
    rules = set()
    for command in commands:
        args = shlex.split(command)
        rules.add(args[3])
        assert not [a for a in args if a in ("out", "data") or a.startswith("dir/")], command
        assert args[-2] == "2>" and args[-1].startswith("out dir/résultats/logs/"), command
    assert len(rules) >= 20, rules  # every kind of job: store, extract, merge, train, attribute, fuse, finetune ...


def test_results_and_data_paths_with_spaces_and_non_ascii_work_end_to_end(tmp_path):
    """The demo, a CSV store, raw-media extraction in 2 shards, their merge and a decoder, with the results
    folder and every data path holding a space and a non-ASCII character."""
    config = yaml.safe_load((ROOT / "tests/data/tiny_config.yaml").read_text())
    for key in ("fusion", "fau_features", "finetune", "evaluation", "encoders"):
        config.pop(key)
    config["results"] = "out dir/résultats"
    config["seeds"] = [1]
    config["demo"] = {"seed": 3, "root": "data dir/démo", "humor": dict(HUMOR, segments_per_video=12, coaches={
        "train": 2, "devel": 1, "test": 0})}
    config["encoders"] = {"pyfeat": {"kind": "fau", "pool_ms": 500}}
    humor = config["tasks"]["humor"]
    root = "data dir/démo/humor"
    humor.update(partition_file=f"{root}/metadata/partition.csv", label_dir=f"{root}/label_segments",
                 feature_dir=f"{root}/feature_segments", media={"fau": f"{root}/raw/faces/{{subject}}/{{video}}.csv"})
    humor["features"] = {"w2v": {"model_dim": 8, "rnn_layers": 1},
                         "faus-raw": {"source": "pyfeat", "model_dim": 8, "rnn_layers": 1}}
    config["tasks"] = {"humor": humor}
    config["training"]["max_epochs"] = 2
    results = tmp_path / "out dir/résultats/humor"
    proc = snakemake(tmp_path, config, "out dir/résultats/humor/models/faus-raw/full/seed1/metrics.json",
                     "out dir/résultats/humor/embeddings/w2v.h5")
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert json.loads((results / "models/faus-raw/full/seed1/metrics.json").read_text())["scores"]["devel"] > 0
    assert (results / "shards/faus-raw/1-of-2.h5").exists()
    with h5py.File(results / "embeddings/w2v.h5") as f:
        assert f.attrs["source"] == "data dir/démo/humor/feature_segments/w2v"
    logs = list((tmp_path / "out dir/résultats/logs").rglob("*.log"))
    assert len(logs) == 6 and all(p.stat().st_size > 0 for p in logs), logs  # every job's log where it belongs
    assert sorted(p.name for p in tmp_path.iterdir()) == [".snakemake", "config.yaml", "data dir", "out dir"]


# ------------------------------------------------------------------------------------------ sample tables
TABLE_DEMO = {"speakers": {"train": 3, "devel": 2, "test": 1}, "utterances_per_speaker": 8,
              "classes": ["neu", "hap", "ang", "sad"], "features": {"xvec": {"dim": 12, "planted": 2, "signal": 1.0}},
              "audio": {"sampling_rate": 1000, "utterances_per_file": 4, "seconds": 0.5, "signal": 0.5}}


@pytest.fixture
def sample_table(tmp_path_factory, tmp_path):
    from subspace import demo_table
    root = tmp_path_factory.getbasetemp() / "sample_table"
    if not root.exists():
        demo_table.make_table(root, TABLE_DEMO, seed=0)
    shutil.copytree(root, tmp_path / "table")
    return tmp_path / "table"


def table_spec(root, **extra):
    return dict({"layout": "table", "type": "multiclass", "classes": TABLE_DEMO["classes"], "targets": ["emotion"],
                 "table": str(root / "samples.csv"), "table_columns": {"group": "speaker"},
                 "splits": {"devel": "dev"}}, **extra)


def table_job(capsys, spec, out, step):
    """A table task's `store` (pre-computed vectors) or `extract` (audio segments) job."""
    if step == "store":
        args = ["store", "--spec", json.dumps(dict(spec, vectors={"path": str(Path(spec["table"]).parent /
                                                                           "features/xvec/{id}.npy")}))]
    else:  # the table is refused before the (absent) model is loaded
        args = ["extract", "--spec", json.dumps(dict(spec, encoder={"kind": "audio", "model": "no/model"})),
                "--shard", "0", "--n-shards", "1"]
    code = main(args[:1] + ["--task", "emotion", "--feature", "xvec"] + args[1:] + ["--out", str(out)])
    return code, capsys.readouterr().err.strip().splitlines()[-1]


def in_table(fn):
    return lambda r: edit(r / "samples.csv", fn)


def absent_from_devel(df):
    df.loc[(df.split == "dev") & (df.emotion == "sad"), "emotion"] = "neu"
    return df


TABLE_CASES = [  # (name, breaker, job, spec changes, problem)
    ("duplicated id", in_table(set_cell("id", 3, "spk00_u001")), "store", {},
     "id 'spk00_u001' appears twice (rows 3 and 5, column 'id'): every sample needs its own id"),
    ("start >= end", in_table(set_cell("end", 2, "0.1")), "extract", {},
     "start ≥ end (an empty segment): start 1.75, end 0.1 (row 4, columns 'start', 'end', in s)"),
    ("media file missing", lambda r: (r / "audio/spk01_01.wav").unlink(), "extract", {},
     "file 'audio/spk01_01.wav' does not exist"),
    ("a label outside the listed classes", in_table(set_cell("emotion", 6, "fru")), "store", {},
     "label 'fru' is not one of the classes ['neu', 'hap', 'ang', 'sad']: list it in `classes`, or map it onto one "
     "with `class_map` (row 8, column 'emotion')"),
    ("a class absent from devel", in_table(absent_from_devel), "store", {},
     "class 'sad' of target 'emotion' has no devel sample (16 samples): its recall, and so UAR, is undefined"),
    ("unknown split names", in_table(set_cell("split", 30, "validation")), "store", {},
     "unknown split names ['validation'] (row 32, column 'split'): the split column's names are "),
    ("a group in two splits", in_table(set_cell("speaker", 30, "spk00")), "store", {},
     "group 'spk00' has samples in train (row 2) and devel (row 32), column 'speaker': a speaker or session in two "
     "splits leaks it into the scores"),
    ("a binary label that is not 0/1", in_table(set_cell("aroused", 5, "2")), "store",
     {"type": "binary", "targets": ["aroused"]}, "label '2' is not 0 or 1 (binary task): name the positive label "
                                                "value with `positive:` (the other value is then 0) (row 7, column "
                                                "'aroused')"),
    ("a missing train label", in_table(set_cell("arousal", 1, "")), "store",
     {"type": "regression", "targets": ["arousal"]},
     "missing or NaN label for a train sample (row 3, column 'arousal'): train and devel labels must all be given"),
    ("a TSV saved as .csv", lambda r: edit(r / "samples.csv", lambda d: d, sep=",") or
     (r / "samples.csv").write_text((r / "samples.csv").read_text().replace(",", "\t")), "store", {},
     "the header 'id\tspeaker\tsplit"),
]


@pytest.mark.parametrize("case", TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_bad_sample_tables_are_refused_naming_the_row_and_column(sample_table, tmp_path, capsys, case):
    _, breaker, step, changes, problem = case
    breaker(sample_table)
    out = tmp_path / "out/xvec.h5"
    code, err = table_job(capsys, table_spec(sample_table, **changes), out, step)
    assert_refused(code, err, f"{sample_table / 'samples.csv'}: ", problem, out)
