"""Readers for the MuSe 2023 on-disk layouts (the organisers' feature CSVs, labels, partitions).

Humor (c2_muse_humor)::

    metadata/partition.csv                          subject (coach) id first, partition last
    label_segments/<coach>/<video>.csv              segment_id, timestamp_start, timestamp_end, ..., label
    feature_segments/<feature>/<coach>/<video>.csv  segment_id, timestamp, <feature columns>

Mimic (c1_muse_mimic)::

    partition.csv                                   video id first, partition last
    labels.csv                                      filename, Approval_, Disappointment_, Uncertainty_
    features/<feature>/<video>.csv                  timestamp, segment_id, <feature columns>

Both readers return an :class:`~subspace.store.Embeddings`; every problem raises
:class:`~subspace.errors.InputError` naming the file.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .errors import InputError
from .store import Embeddings, RowStats

log = logging.getLogger(__name__)

FEATURE_COLUMN_START = 2  # segment_id/timestamp (Humor) or timestamp/segment_id (Mimic) come first
PARTITIONS = ("train", "devel", "test")


def read_csv(path: Path, required: tuple[str, ...] = (), dtype=None) -> pd.DataFrame:
    if not path.exists():
        raise InputError(path, "file does not exist")
    try:
        df = pd.read_csv(path, dtype=dtype)
    except pd.errors.EmptyDataError:
        raise InputError(path, "file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable CSV: {exc}") from None
    if df.empty:
        raise InputError(path, "file has a header but no rows")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(path, f"missing columns {missing} (has {list(df.columns)[:8]})")
    return df


def read_partition(path: Path) -> dict[str, str]:
    """Map subject/video id -> partition from a CSV whose first column is the id, last the partition."""
    df = read_csv(Path(path), dtype=str)  # ids like "00042" must stay strings
    if df.shape[1] < 2:
        raise InputError(path, "needs an id column and a partition column")
    ids = df.iloc[:, 0].astype(str).str.strip('"')
    parts = df.iloc[:, -1].astype(str).str.strip()
    bad = sorted(set(parts) - set(PARTITIONS))
    if bad:
        raise InputError(path, f"unknown partition names {bad}; expected {list(PARTITIONS)}")
    return dict(zip(ids, parts))


def feature_matrix(df: pd.DataFrame, path: Path) -> np.ndarray:
    values = df.iloc[:, FEATURE_COLUMN_START:]
    if values.shape[1] == 0:
        raise InputError(path, "has no feature columns after the first two (id/timestamp) columns")
    try:
        matrix = values.to_numpy(dtype=np.float32)
    except ValueError as exc:
        raise InputError(path, f"non-numeric feature values: {exc}") from None
    if not np.isfinite(matrix).all():
        row, col = np.argwhere(~np.isfinite(matrix))[0]
        raise InputError(path, f"NaN or Inf in features (row {row + 2}, column '{values.columns[col]}')")
    return matrix


class _DimCheck:
    """Every feature file of one feature must have the same columns."""

    def __init__(self):
        self.names: list[str] | None = None
        self.first: Path | None = None

    def __call__(self, df: pd.DataFrame, path: Path) -> None:
        names = [str(c) for c in df.columns[FEATURE_COLUMN_START:]]
        if self.names is None:
            self.names, self.first = names, path
        elif names != self.names:
            raise InputError(path, f"feature dimension {len(names)} differs from {len(self.names)} "
                                   f"in {self.first} (or the column names differ)")


def read_humor(partition_file, label_dir, feature_dir, feature: str) -> Embeddings:
    """One sample per labelled 2 s segment: the feature rows of its video inside its time window."""
    partition_of = read_partition(Path(partition_file))
    label_dir, feature_root = Path(label_dir), Path(feature_dir) / feature
    if not feature_root.is_dir():
        raise InputError(feature_root, "feature folder does not exist")
    check_dims = _DimCheck()
    sequences, stamps, ids, parts, labels, empty = [], [], [], [], [], []
    train_rows = RowStats()
    # the partition file's order, as the baseline's parser: the same seed then draws the same batches
    for coach, partition in tqdm(partition_of.items(), desc=f"reading {feature}", unit="coach", mininterval=5):
        label_files = sorted((label_dir / coach).glob("*.csv"))
        if not label_files:
            if partition == "test":
                log.warning("no labels for test coach %s in %s: skipped", coach, label_dir)
                continue
            raise InputError(label_dir / coach, f"no label CSVs for {partition} coach '{coach}'")
        if partition != "test":
            unlabelled = sorted({p.stem for p in (feature_root / coach).glob("*.csv")} - {p.stem for p in label_files})
            if unlabelled:
                raise InputError(feature_root / coach / f"{unlabelled[0]}.csv",
                                 f"features of {partition} video '{unlabelled[0]}' have no label file in "
                                 f"{label_dir / coach} ({len(unlabelled)} such videos)")
        for label_file in label_files:
            label_df = read_csv(label_file, ("segment_id", "timestamp_start", "timestamp_end"))
            video = label_file.stem
            feature_file = feature_root / coach / f"{video}.csv"
            if not feature_file.exists():
                raise InputError(feature_file, f"labels in {label_file} have no feature file")
            feat_df = read_csv(feature_file, ("segment_id", "timestamp"))
            check_dims(feat_df, feature_file)
            matrix = feature_matrix(feat_df, feature_file)
            seg = feat_df["segment_id"].to_numpy()
            ts = feat_df["timestamp"].to_numpy(dtype=np.int64)
            if partition == "train":  # the baseline's scaler sees every row of the training videos
                train_rows.add(matrix)
            if label_df.iloc[:, -1].isna().any() and partition != "test":
                raise InputError(label_file, "missing label values")
            for row in label_df.itertuples(index=False):
                start, end = int(row.timestamp_start), int(row.timestamp_end)
                mask = (seg == row.segment_id) & (ts >= start) & (ts < end)
                if mask.any():
                    sequences.append(matrix[mask])
                    stamps.append(ts[mask])
                else:  # the baseline imputes an empty window with one zero vector
                    sequences.append(np.zeros((1, matrix.shape[1]), np.float32))
                    stamps.append(np.array([start], np.int64))
                empty.append(not mask.any())
                ids.append(f"{coach}/{video}/{row.segment_id}/{start}")
                parts.append(partition)
                labels.append([float(row[-1])])
    if any(empty):
        log.warning("%d labelled segments had no feature rows and became one zero vector", sum(empty))
    return _finish(sequences, stamps, ids, parts, labels, check_dims, feature_root, empty, train_rows)


def read_mimic(partition_file, label_file, feature_dir, feature: str, targets: list[str]) -> Embeddings:
    """One sample per video: its whole feature sequence, with its 3 target intensities."""
    partition_of = read_partition(Path(partition_file))
    label_file, feature_root = Path(label_file), Path(feature_dir) / feature
    if not feature_root.is_dir():
        raise InputError(feature_root, "feature folder does not exist")
    label_df = read_csv(label_file, ("filename",), dtype={"filename": str})
    label_cols = list(label_df.columns[1:])
    if len(label_cols) != len(targets):
        raise InputError(label_file, f"expected {len(targets)} label columns after 'filename' "
                                     f"({targets}), found {label_cols}")
    label_df["filename"] = label_df["filename"].astype(str).str.strip('"')
    label_of = dict(zip(label_df["filename"], label_df[label_cols].to_numpy(np.float32)))
    check_dims = _DimCheck()
    sequences, stamps, ids, parts, labels = [], [], [], [], []
    train_rows = RowStats()
    for video, partition in tqdm(partition_of.items(), desc=f"reading {feature}", unit="video", mininterval=5):
        feature_file = feature_root / f"{video}.csv"
        if video not in label_of:
            if partition == "test":
                label = np.full(len(targets), np.nan, np.float32)
            else:
                raise InputError(label_file, f"no labels for {partition} video '{video}'")
        else:
            label = label_of[video]
        if not feature_file.exists():
            raise InputError(feature_file, f"video '{video}' ({partition}) has no feature file")
        feat_df = read_csv(feature_file, ("timestamp",))
        check_dims(feat_df, feature_file)
        sequences.append(feature_matrix(feat_df, feature_file))
        if partition == "train":
            train_rows.add(sequences[-1])
        stamps.append(feat_df["timestamp"].to_numpy(dtype=np.int64))
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


def _finish(sequences, stamps, ids, parts, labels, check_dims, where, empty, train_rows) -> Embeddings:
    parts = np.asarray(parts, dtype=object)
    for partition in ("train", "devel"):
        if not (parts == partition).any():
            raise InputError(where, f"the {partition} partition has no samples")
    return Embeddings(sequences=sequences, timestamps=stamps, sample_ids=np.asarray(ids, dtype=object),
                      partitions=parts, labels=np.asarray(labels, np.float32),
                      dim_names=check_dims.names, attrs={"empty_segments": int(sum(empty))},
                      empty=np.asarray(empty, dtype=bool), train_rows=train_rows)
