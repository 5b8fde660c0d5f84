"""Readers for the MuSe 2023 on-disk layouts (the organisers' feature CSVs, labels, partitions).

Humor (c2_muse_humor)::

    metadata/partition.csv                          subject (coach) id first, partition last
    label_segments/<coach>/<video>.csv              segment_id, timestamp_start, timestamp_end, humor (by name)
    feature_segments/<feature>/<coach>/<video>.csv  segment_id, timestamp, <feature columns>

Mimic (c1_muse_mimic)::

    partition.csv                                   video id first, partition last
    labels.csv                                      filename and the targets, by name, in any order
    features/<feature>/<video>.csv                  timestamp, segment_id, <feature columns>

Both readers return an :class:`~subspace.store.Embeddings`; every problem raises
:class:`~subspace.errors.InputError` naming the file.
"""
from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .errors import InputError
from .store import Embeddings, RowStats

log = logging.getLogger(__name__)

META_COLUMNS = ("segment_id", "timestamp")  # every other column of a feature CSV is a feature dimension
PARTITIONS = ("train", "devel", "test")
SCORED = ("train", "devel")  # partitions whose labels train and early-stop the decoder
HUMOR_LABEL_COLUMN = "humor"


def row_of(index: int) -> int:
    """The line of a data row in its CSV file (the header is line 1)."""
    return int(index) + 2


def read_csv(path: Path, required: tuple[str, ...] = (), text=(), dtype=None) -> pd.DataFrame:
    """A CSV with named columns; every problem is an :class:`InputError` naming the file.

    ``text`` columns (or ``"all"``) are read as written: no word (``null``, ``NA``, ``None``, ``nan``,
    ``n/a``) becomes a missing value there; other columns use pandas' numeric parsing. Column names
    are stripped of surrounding spaces; a name that appears twice is an error (which one is meant?).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file does not exist")
    if path.is_dir():
        raise InputError(path, "is a folder, not a CSV file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), None)
        if not header:
            raise InputError(path, "file is empty")
        names = [c.strip() for c in header]
        repeated = sorted({c for c in names if names.count(c) > 1})
        if repeated:
            raise InputError(path, f"column '{repeated[0]}' appears {names.count(repeated[0])} times: which one is "
                                   f"meant is ambiguous (columns found: {_shown(names)})")
        if text == "all":
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            df = pd.read_csv(path, dtype=dtype)
            raw_text = [raw for raw, c in zip(header, names) if c in text]
            if raw_text:  # a second pass over only these columns costs ~20% of the first, per-column NA sets ~300%
                as_written = pd.read_csv(path, usecols=raw_text, dtype=str, keep_default_na=False)
                for raw in raw_text:
                    df[raw] = as_written[raw]
    except pd.errors.EmptyDataError:
        raise InputError(path, "file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        raise InputError(path, f"not a readable CSV: {str(exc).strip()}") from None
    if len(df.columns) == len(names):
        df.columns = names
    if df.empty:
        raise InputError(path, "file has a header but no rows")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(path, f"missing columns {missing} (columns found: {_shown(names)})")
    return df


def _shown(names: list, n: int = 12) -> str:
    return str(list(names)) if len(names) <= n else f"{list(names)[:n]} … ({len(names)} columns)"


def text_column(df: pd.DataFrame, column: str) -> pd.Series:
    """Ids as written, without surrounding spaces or quotes (``"00042"`` stays ``00042``)."""
    return df[column].astype(str).str.strip().str.strip('"')


def numeric_column(df: pd.DataFrame, column: str, path: Path, what: str) -> np.ndarray:
    """float64 values of one column (missing cells are NaN); a cell that is not a number is an error."""
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(np.float64)
    bad = np.isnan(values) & df[column].notna().to_numpy() & (df[column].astype(str).str.strip() != "").to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(path, f"non-numeric {what} '{df[column].iloc[i]}' (row {row_of(i)}, column '{column}')")
    return values


def timestamps(df: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """Milliseconds as int64: present, whole numbers and not negative."""
    values = numeric_column(df, column, path, "timestamp")
    problems = ((~np.isfinite(values), "missing or infinite timestamp"),
                (values < 0, "negative timestamp {v:g} ms (timestamps count from the start of the video)"),
                (values != np.round(values), "timestamp {v:g} is not a whole number of milliseconds"))
    for bad, problem in problems:
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(path, problem.format(v=values[i]) + f" (row {row_of(i)}, column '{column}')")
    return values.astype(np.int64)


def in_time_order(df: pd.DataFrame, ts: np.ndarray, keys: dict, path: Path, what: str = "rows"):
    """Rows sorted by time (a logged note when they were not); a time repeated within ``keys`` is an error.

    Returns the sorted frame and timestamps. Sorting is safe because every row carries its time,
    and the decoder's GRU must see a sequence in time order; a repeated time has no order at all.
    """
    key = pd.DataFrame(dict(keys, timestamp=ts))
    repeated = key.duplicated().to_numpy()
    if repeated.any():
        j = int(np.argmax(repeated))
        first = int(np.argmax((key == key.iloc[j]).all(axis=1).to_numpy()))
        within = "".join(f" within {name} {key[name].iloc[j]}" for name in keys)
        raise InputError(path, f"timestamp {ts[j]} appears twice{within} (rows {row_of(first)} and {row_of(j)}, "
                               f"column 'timestamp'): duplicated {what}?")
    order = np.argsort(ts, kind="stable")
    if (order != np.arange(len(ts))).any():
        log.info("%s: %s are not in time order: sorted by timestamp", path, what)
        return df.iloc[order].reset_index(drop=True), ts[order]
    return df, ts


def segment_ids(df: pd.DataFrame) -> np.ndarray:
    """segment_id as text, with whole numbers written one way (``1.0`` and ``1`` are the same segment)."""
    text = text_column(df, "segment_id")
    number = pd.to_numeric(text, errors="coerce")
    whole = number.notna() & (number == number.round())
    return text.where(~whole, number.where(whole, 0).astype(np.int64).astype(str)).to_numpy(dtype=object)


def read_partition(path: Path) -> dict[str, str]:
    """Map subject/video id -> partition from a CSV whose first column is the id, last the partition.

    Every cell is text (an id ``NA`` stays ``NA``). An id listed twice with the same partition is
    fine; with different partitions it is an error (the sample cannot be in both).
    """
    path = Path(path)
    df = read_csv(path, text="all")  # ids like "00042" must stay strings
    if df.shape[1] < 2:
        raise InputError(path, "needs an id column and a partition column")
    ids = text_column(df, df.columns[0]).tolist()
    parts = text_column(df, df.columns[-1]).tolist()
    bad = sorted(set(parts) - set(PARTITIONS))
    if bad:
        raise InputError(path, f"unknown partition names {bad}; expected {list(PARTITIONS)}")
    partition_of, first_row = {}, {}
    for i, (sample, partition) in enumerate(zip(ids, parts)):
        if not sample:
            raise InputError(path, f"empty id (row {row_of(i)}, column '{df.columns[0]}')")
        if sample in partition_of and partition_of[sample] != partition:
            raise InputError(path, f"'{sample}' is listed as {partition_of[sample]} (row {first_row[sample]}) and as "
                                   f"{partition} (row {row_of(i)}): a sample can be in one partition only")
        partition_of.setdefault(sample, partition)
        first_row.setdefault(sample, row_of(i))
    return partition_of


def label_values(df: pd.DataFrame, columns: list[str], partitions, path: Path, task_type: str) -> np.ndarray:
    """The label columns as float32 (rows x columns), checked against the task type.

    Every label is a number; a missing, NaN or Inf label is an error in a scored partition (train,
    devel) and NaN in test (withheld labels); a binary task's labels are 0 or 1.
    """
    values = np.stack([numeric_column(df, c, path, "label") for c in columns], axis=1)
    scored = np.isin(np.asarray(partitions, dtype=object), SCORED)
    for i, k in np.argwhere(~np.isfinite(values) & scored[:, None]):
        problem = "missing or NaN label" if np.isnan(values[i, k]) else f"infinite label {values[i, k]:g}"
        raise InputError(path, f"{problem} for a {partitions[i]} sample (row {row_of(i)}, column '{columns[k]}'): "
                               f"train and devel labels must all be numbers")
    if task_type == "binary":
        for i, k in np.argwhere(np.isfinite(values) & (values != 0) & (values != 1)):
            raise InputError(path, f"label {values[i, k]:g} is not 0 or 1 (binary task) "
                                   f"(row {row_of(i)}, column '{columns[k]}')")
    return values.astype(np.float32)


def humor_videos(partition_of: dict[str, str], label_dir: Path) -> list[tuple[str, str, Path]]:
    """(coach, partition, label file) of every labelled video in store order (the partition file's); test coaches
    without labels are skipped."""
    label_dir, out = Path(label_dir), []
    # the partition file's order, as the baseline's parser: the same seed then draws the same batches
    for coach, partition in partition_of.items():
        label_files = sorted((label_dir / coach).glob("*.csv"))
        if not label_files:
            if partition == "test":
                log.warning("no labels for test coach %s in %s: skipped", coach, label_dir)
                continue
            raise InputError(label_dir / coach, f"no label CSVs for {partition} coach '{coach}'")
        out += [(coach, partition, f) for f in label_files]
    return out


def humor_labels(label_file: Path, partition: str, label_column: str = HUMOR_LABEL_COLUMN,
                 task_type: str = "binary") -> pd.DataFrame:
    """One Humor label file -> rows (segment_id, start, end, label, sample_id); the label column by name."""
    label_file = Path(label_file)
    df = read_csv(label_file, ("segment_id", "timestamp_start", "timestamp_end", label_column),
                  text=("segment_id", "coach"))
    start = timestamps(df, "timestamp_start", label_file)
    end = timestamps(df, "timestamp_end", label_file)
    if (end <= start).any():
        i = int(np.argmax(end <= start))
        raise InputError(label_file, f"window [{start[i]}, {end[i]}) is empty: timestamp_end must be after "
                                     f"timestamp_start (row {row_of(i)})")
    coach, video = label_file.parent.name, label_file.stem
    segments = segment_ids(df)
    ids = [f"{coach}/{video}/{s}/{t}" for s, t in zip(segments, start)]
    seen: dict[str, int] = {}
    for i, sample in enumerate(ids):
        if sample in seen:
            raise InputError(label_file, f"segment {segments[i]} at {start[i]} ms is labelled twice "
                                         f"(rows {row_of(seen[sample])} and {row_of(i)})")
        seen[sample] = i
    labels = label_values(df, [label_column], [partition] * len(df), label_file, task_type)
    return pd.DataFrame({"segment_id": segments, "start": start, "end": end, "label": labels[:, 0],
                         "sample_id": ids})


def mimic_labels(label_file: Path, targets: list[str], partition_of: dict[str, str],
                 task_type: str = "regression") -> dict[str, np.ndarray]:
    """video id -> its targets (the columns named by ``targets``, in any order; other columns ignored)."""
    label_file = Path(label_file)
    df = read_csv(label_file, ("filename", *targets), text=("filename",))
    videos = text_column(df, "filename").tolist()
    partitions = [partition_of.get(v, "test") for v in videos]  # unknown videos are reported by the readers
    values = label_values(df, list(targets), partitions, label_file, task_type)
    label_of, first_row = {}, {}
    for i, video in enumerate(videos):
        if not video:
            raise InputError(label_file, f"empty id (row {row_of(i)}, column 'filename')")
        if video in label_of and not np.array_equal(label_of[video], values[i], equal_nan=True):
            raise InputError(label_file, f"video '{video}' has two different labels (rows {first_row[video]} "
                                         f"and {row_of(i)})")
        label_of.setdefault(video, values[i])
        first_row.setdefault(video, row_of(i))
    return label_of


def task_type(spec: dict) -> str:
    """The task type of a store spec (the config's ``tasks.<task>``); the layout implies it where unset."""
    return spec.get("type") or ("binary" if spec["layout"] == "humor" else "regression")


def label_source(spec: dict) -> str:
    """The labels a store spec reads: the file a message about them names."""
    return str(spec["label_dir"] if spec["layout"] == "humor" else spec["label_file"])


def check_scorable(emb: Embeddings, task_type: str, source) -> None:
    """Refuse a store no decoder can be trained and early-stopped on: a scored partition (train,
    devel) whose labels are missing, of a single class (ROC AUC undefined) or constant (Pearson r
    undefined)."""
    targets = list(emb.attrs.get("targets") or [f"target {k}" for k in range(emb.labels.shape[1])])
    for partition in SCORED:
        y = emb.labels[emb.partitions == partition]
        if len(y) == 0:
            raise InputError(source, f"the {partition} partition has no samples")
        if not np.isfinite(y).all():
            raise InputError(source, f"the {partition} partition has missing, NaN or Inf labels")
        for k, target in enumerate(targets):
            values = np.unique(y[:, k])
            if len(values) > 1:
                continue
            if task_type == "binary":
                raise InputError(source, f"every label of the {partition} partition is {values[0]:g} (one class, "
                                         f"{len(y)} samples): ROC AUC is undefined, so no decoder can be scored "
                                         f"or early-stopped on it; both classes must be in train and devel")
            raise InputError(source, f"target '{target}' is constant ({values[0]:g}) in the {partition} partition "
                                     f"({len(y)} samples): Pearson r is undefined, so no decoder can be scored "
                                     f"or early-stopped on it")


def feature_matrix(df: pd.DataFrame, path: Path) -> np.ndarray:
    """Every column but segment_id and timestamp, by name, as a float32 (rows x dims) matrix."""
    columns = [c for c in df.columns if c not in META_COLUMNS]
    if not columns:
        raise InputError(path, f"has no feature columns besides {list(META_COLUMNS)}")
    n_meta = len(df.columns) - len(columns)
    if list(df.columns[n_meta:]) != columns:
        # the organisers' files (and their baseline, which reads features from the third column on) put the
        # meta columns first; a column before or between them is most likely an id, not a feature dimension
        shown = list(df.columns[:max(i for i, c in enumerate(df.columns) if c in META_COLUMNS) + 2])
        raise InputError(path, f"columns {shown}: {list(META_COLUMNS)} must come before "
                               f"every feature column (is '{columns[0]}' an id column? remove it or rename it)")
    values = df[columns]
    try:
        matrix = values.to_numpy(dtype=np.float32)
    except (ValueError, TypeError):  # text in a column: name the first cell that is not a number
        matrix = np.stack([numeric_column(df, c, path, "feature values:") for c in columns], axis=1).astype(np.float32)
    if not np.isfinite(matrix).all():
        row, col = np.argwhere(~np.isfinite(matrix))[0]
        raise InputError(path, f"NaN or Inf in features (row {row_of(row)}, column '{columns[col]}')")
    return matrix


class _DimCheck:
    """Every feature file of one feature must have the same columns."""

    def __init__(self):
        self.names: list[str] | None = None
        self.first: Path | None = None

    def __call__(self, df: pd.DataFrame, path: Path) -> None:
        names = [str(c) for c in df.columns if c not in META_COLUMNS]
        if self.names is None:
            self.names, self.first = names, path
        elif names != self.names:
            raise InputError(path, f"feature dimension {len(names)} differs from {len(self.names)} "
                                   f"in {self.first} (or the column names differ)")


def read_feature_file(path: Path, check_dims: _DimCheck, required: tuple[str, ...], by_segment: bool):
    """One feature CSV -> (segment ids or None, timestamps, matrix), rows in time order."""
    df = read_csv(path, required)  # one pass: feature files are large, and their segment ids are numbers
    check_dims(df, path)
    ts = timestamps(df, "timestamp", path)
    df, ts = in_time_order(df, ts, {"segment_id": segment_ids(df)} if by_segment else {}, path, "feature rows")
    return (segment_ids(df) if by_segment else None), ts, feature_matrix(df, path)


def read_humor(partition_file, label_dir, feature_dir, feature: str, label_column: str = HUMOR_LABEL_COLUMN,
               task_type: str = "binary") -> Embeddings:
    """One sample per labelled 2 s segment: the feature rows of its video inside its time window."""
    partition_of = read_partition(Path(partition_file))
    label_dir, feature_root = Path(label_dir), Path(feature_dir) / feature
    if not feature_root.is_dir():
        raise InputError(feature_root, "feature folder does not exist")
    check_dims = _DimCheck()
    sequences, stamps, ids, parts, labels, is_empty = [], [], [], [], [], []
    train_rows = RowStats()
    videos = humor_videos(partition_of, label_dir)
    for coach in sorted({c for c, p, _ in videos if p != "test"}):
        labelled = {f.stem for c, _, f in videos if c == coach}
        unlabelled = sorted({p.stem for p in (feature_root / coach).glob("*.csv")} - labelled)
        if unlabelled:
            raise InputError(feature_root / coach / f"{unlabelled[0]}.csv",
                             f"features of {partition_of[coach]} video '{unlabelled[0]}' have no label file in "
                             f"{label_dir / coach} ({len(unlabelled)} such videos)")
    for coach, partition, label_file in tqdm(videos, desc=f"reading {feature}", unit="video", mininterval=5):
        rows = humor_labels(label_file, partition, label_column, task_type)
        feature_file = feature_root / coach / f"{label_file.stem}.csv"
        if not feature_file.exists():
            raise InputError(feature_file, f"labels in {label_file} have no feature file")
        seg, ts, matrix = read_feature_file(feature_file, check_dims, META_COLUMNS, by_segment=True)
        if partition == "train":  # the baseline's scaler sees every row of the training videos
            train_rows.add(matrix)
        empty = []
        for row in rows.itertuples(index=False):
            mask = (seg == row.segment_id) & (ts >= row.start) & (ts < row.end)
            if mask.any():
                sequences.append(matrix[mask])
                stamps.append(ts[mask])
            else:  # the baseline imputes an empty window with one zero vector
                empty.append(row.sample_id)
                in_segment = ts[seg == row.segment_id]
                cause = (f"no feature row has segment_id {row.segment_id}" if not len(in_segment) else
                         f"segment {row.segment_id}'s feature rows ({in_segment.min()}-{in_segment.max()} ms) "
                         f"miss the window [{row.start}, {row.end})")
                log.warning("%s: empty window, became one zero vector: %s in %s", row.sample_id, cause, feature_file)
                sequences.append(np.zeros((1, matrix.shape[1]), np.float32))
                stamps.append(np.array([row.start], np.int64))
            is_empty.append(not mask.any())
            ids.append(row.sample_id)
            parts.append(partition)
            labels.append([row.label])
        if len(empty) == len(rows):
            raise InputError(feature_file, f"no feature row falls in any of the {len(rows)} label windows of "
                                           f"{label_file} (features {ts.min()}-{ts.max()} ms, windows "
                                           f"{rows.start.min()}-{rows.end.max()} ms): shifted timestamps, another "
                                           f"unit than ms, or other segment_ids?")
    if any(is_empty):
        log.warning("%d labelled segments had no feature rows and became one zero vector (named above)", sum(is_empty))
    return _finish(sequences, stamps, ids, parts, labels, check_dims, feature_root, is_empty, train_rows)


def read_mimic(partition_file, label_file, feature_dir, feature: str, targets: list[str],
               task_type: str = "regression") -> Embeddings:
    """One sample per video: its whole feature sequence, with its target intensities (columns by name)."""
    partition_of = read_partition(Path(partition_file))
    label_file, feature_root = Path(label_file), Path(feature_dir) / feature
    if not feature_root.is_dir():
        raise InputError(feature_root, "feature folder does not exist")
    label_of = mimic_labels(label_file, targets, partition_of, task_type)
    check_dims = _DimCheck()
    sequences, stamps, ids, parts, labels = [], [], [], [], []
    train_rows = RowStats()
    for video, partition in tqdm(partition_of.items(), desc=f"reading {feature}", unit="video", mininterval=5):
        feature_file = feature_root / f"{video}.csv"
        label = mimic_label(label_of, video, partition, targets, label_file)
        if not feature_file.exists():
            raise InputError(feature_file, f"video '{video}' ({partition}) has no feature file")
        _, ts, matrix = read_feature_file(feature_file, check_dims, ("timestamp",), by_segment=False)
        sequences.append(matrix)
        stamps.append(ts)
        if partition == "train":
            train_rows.add(matrix)
        ids.append(video)
        parts.append(partition)
        labels.append(label)
    stray = sorted({p.stem for p in feature_root.glob("*.csv")} - set(partition_of))
    if stray:
        raise InputError(feature_root / f"{stray[0]}.csv", f"video '{stray[0]}' has features but is not in "
                                                           f"the partition file ({len(stray)} such videos)")
    unknown = sorted(set(label_of) - set(partition_of))
    if unknown:
        raise InputError(label_file, f"{len(unknown)} labelled videos are not in the partition file "
                                     f"(e.g. {unknown[:3]})")
    return _finish(sequences, stamps, ids, parts, labels, check_dims, feature_root, [False] * len(ids), train_rows)


def mimic_label(label_of: dict, video: str, partition: str, targets: list[str], label_file) -> np.ndarray:
    """A video's labels; a test video without labels gets NaN (withheld), any other is an error."""
    if video in label_of:
        return label_of[video]
    if partition == "test":
        return np.full(len(targets), np.nan, np.float32)
    raise InputError(label_file, f"no labels for {partition} video '{video}'")


def _finish(sequences, stamps, ids, parts, labels, check_dims, where, empty, train_rows) -> Embeddings:
    parts = np.asarray(parts, dtype=object)
    for partition in ("train", "devel"):
        if not (parts == partition).any():
            raise InputError(where, f"the {partition} partition has no samples")
    return Embeddings(sequences=sequences, timestamps=stamps, sample_ids=np.asarray(ids, dtype=object),
                      partitions=parts, labels=np.asarray(labels, np.float32),
                      dim_names=check_dims.names, attrs={"empty_segments": int(sum(empty))},
                      empty=np.asarray(empty, dtype=bool), train_rows=train_rows)
