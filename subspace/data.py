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

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import datachecks, names
from .csvfile import numeric_column, read_csv, row_of, shown
from .errors import InputError
# the label readers, here too for the callers that read a whole store through this module (cli, finetune)
from .labels import (HUMOR_LABEL_COLUMN, SCORED, check_scorable, humor_labels, humor_videos,  # noqa: F401
                     label_source, mimic_label, mimic_labels, read_partition, segment_ids, task_type, timestamps)
from .store import Embeddings, RowStats

log = logging.getLogger(__name__)

META_COLUMNS = ("segment_id", "timestamp")  # every other column of a feature CSV is a feature dimension
CSV_EMPTY_CAUSES = ("Features in another time unit than the labels (seconds or frames instead of ms), shifted "
                    "timestamps, other segment_ids, or features cut short")


def time_order(ts: np.ndarray, keys: dict, path: Path, what: str = "rows") -> np.ndarray:
    """The order that sorts the rows by time (a logged note when they were not sorted); a time repeated within
    ``keys`` is an error.

    Sorting is safe because every row carries its time, and the decoder's GRU must see a sequence in time
    order; a repeated time has no order at all.
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
    return order


def feature_matrix(df: pd.DataFrame, path: Path, columns: list[str]) -> np.ndarray:
    """The feature ``columns`` (by name, in this order) as a float32 (rows x dims) matrix."""
    try:
        matrix = df[columns].to_numpy(dtype=np.float32)
    except (ValueError, TypeError):  # text in a column: name the first cell that is not a number
        matrix = np.stack([numeric_column(df, c, path, "feature values:") for c in columns], axis=1).astype(np.float32)
    if not np.isfinite(matrix).all():
        row, col = np.argwhere(~np.isfinite(matrix))[0]
        raise InputError(path, f"NaN or Inf in features (row {row_of(row)}, column '{columns[col]}')")
    return matrix


class FeatureColumns:
    """Every feature file of one feature has the same feature columns, matched by name: the first file's order
    is the store's, a file with the same columns in another order is read in that order."""

    def __init__(self):
        self.names: list[str] | None = None
        self.first: Path | None = None

    def __call__(self, df: pd.DataFrame, path: Path) -> list[str]:
        names = [str(c) for c in df.columns if c not in META_COLUMNS]
        if not names:
            raise InputError(path, f"has no feature columns besides {list(META_COLUMNS)}")
        n_meta = len(df.columns) - len(names)
        if list(df.columns[n_meta:]) != names:
            # the organisers' files (and their baseline, which reads features from the third column on) put the
            # meta columns first; a column before or between them is most likely an id, not a feature dimension
            leading = list(df.columns[:max(i for i, c in enumerate(df.columns) if c in META_COLUMNS) + 2])
            raise InputError(path, f"columns {leading}: {list(META_COLUMNS)} must come before "
                                   f"every feature column (is '{names[0]}' an id column? remove it or rename it)")
        if self.names is None:
            self.names, self.first = names, path
        elif set(names) != set(self.names):
            missing = [c for c in self.names if c not in names]
            extra = [c for c in names if c not in self.names]
            differ = "; ".join(f"{what} {shown(cs, 5)}" for what, cs in (("missing", missing), ("extra", extra)) if cs)
            what = (f"feature dimension {len(names)} differs from {len(self.names)} in" if len(names) != len(self.names)
                    else f"the {len(names)} feature columns differ from those of")
            raise InputError(path, f"{what} {self.first}: {differ}")
        return self.names


def read_feature_file(path: Path, columns: FeatureColumns, required: tuple[str, ...], by_segment: bool,
                      extremes: datachecks.Extremes):
    """One feature CSV -> (segment ids or None, timestamps, matrix), rows in time order; each dimension's extremes
    (with their rows in the file) go to ``extremes``."""
    df = read_csv(path, required)  # one pass: feature files are large, and their segment ids are numbers
    names_in_order = columns(df, path)
    ts = timestamps(df, "timestamp", path)
    matrix = feature_matrix(df, path, names_in_order)
    extremes.add(path, matrix)
    segments = segment_ids(df) if by_segment else None
    order = time_order(ts, {"segment_id": segments} if by_segment else {}, path, "feature rows")
    if (order == np.arange(len(order))).all():  # (no copy: a large file's matrix stays as pandas made it)
        return segments, ts, matrix
    return (segments[order] if by_segment else None), ts[order], matrix[order]


class Samples:
    """A store's samples as they are read, in order, with their sampling unit (group) and subject."""

    def __init__(self):
        self.sequences, self.stamps, self.ids, self.parts, self.labels = [], [], [], [], []
        self.empty, self.groups, self.subjects = [], [], []

    def add(self, sequence, stamps, sample_id, partition, label, group, subject, empty=False) -> None:
        self.sequences.append(sequence)
        self.stamps.append(stamps)
        self.ids.append(sample_id)
        self.parts.append(partition)
        self.labels.append(label)
        self.empty.append(empty)
        self.groups.append(group)
        self.subjects.append(subject)

    def embeddings(self, dim_names, train_rows: RowStats | None, attrs: dict | None = None) -> Embeddings:
        ids = np.asarray(self.ids, dtype=object)
        return Embeddings(sequences=self.sequences, timestamps=self.stamps, sample_ids=ids,
                          partitions=np.asarray(self.parts, dtype=object),
                          labels=np.asarray(self.labels, np.float32).reshape(len(ids), -1), dim_names=list(dim_names),
                          attrs=dict(attrs or {}, empty_segments=int(sum(self.empty))),
                          empty=np.asarray(self.empty, dtype=bool), train_rows=train_rows,
                          groups=np.asarray(self.groups, dtype=object),
                          subjects=np.asarray(self.subjects, dtype=object))


def read_humor(partition_file, label_dir, feature_dir, feature: str, label_column: str = HUMOR_LABEL_COLUMN,
               task_type: str = "binary", max_empty_share: float = datachecks.MAX_EMPTY_SHARE,
               max_robust_deviation: float = datachecks.MAX_ROBUST_DEVIATION) -> Embeddings:
    """One sample per labelled 2 s segment: the feature rows of its video inside its time window.

    A video, or a partition, with more than ``max_empty_share`` empty or all-zero windows is refused, and so is
    a feature value beyond ``max_robust_deviation`` robust spreads of its dimension (see :mod:`subspace.datachecks`).
    """
    partition_of = read_partition(Path(partition_file))
    label_dir, feature_root = Path(label_dir), Path(feature_dir) / feature
    if not feature_root.is_dir():
        raise InputError(feature_root, "feature folder does not exist")
    columns, extremes, samples, train_rows = FeatureColumns(), datachecks.Extremes(), Samples(), RowStats()
    videos = humor_videos(partition_of, label_dir)
    feature_files = humor_feature_files(feature_root, videos, partition_of, label_dir)
    file_of = {}
    for coach, partition, label_file in tqdm(videos, desc=f"reading {feature}", unit="video", mininterval=5):
        rows = humor_labels(label_file, partition, label_column, task_type)
        group = f"{coach}/{names.nfc(label_file.stem)}"
        if group not in feature_files:
            raise InputError(feature_root / coach / f"{label_file.stem}.csv", f"labels in {label_file} have no "
                                                                              f"feature file")
        feature_file = file_of[group] = feature_files[group]
        seg, ts, matrix = read_feature_file(feature_file, columns, META_COLUMNS, True, extremes)
        if partition == "train":  # the baseline's scaler sees every row of the training videos
            train_rows.add(matrix)
        n_empty = 0
        for row in rows.itertuples(index=False):
            mask = (seg == row.segment_id) & (ts >= row.start) & (ts < row.end)
            if mask.any():
                n_empty += not matrix[mask].any()
                samples.add(matrix[mask], ts[mask], row.sample_id, partition, [row.label], group, coach)
                continue
            n_empty += 1  # the baseline imputes an empty window with one zero vector
            in_segment = ts[seg == row.segment_id]
            cause = (f"no feature row has segment_id {row.segment_id}" if not len(in_segment) else
                     f"segment {row.segment_id}'s feature rows ({in_segment.min()}-{in_segment.max()} ms) "
                     f"miss the window [{row.start}, {row.end})")
            log.warning("%s: empty window, became one zero vector: %s in %s", row.sample_id, cause, feature_file)
            samples.add(np.zeros((1, matrix.shape[1]), np.float32), np.array([row.start], np.int64), row.sample_id,
                        partition, [row.label], group, coach, empty=True)
        share = datachecks.too_many_empty(n_empty, len(rows), max_empty_share)
        if share:
            raise InputError(feature_file, f"{n_empty} of the {len(rows)} label windows of {label_file} have no "
                                           f"feature rows or only all-zero ones {share}: features "
                                           f"{ts.min()}-{ts.max()} ms, windows {rows.start.min()}-{rows.end.max()} ms. "
                                           f"{CSV_EMPTY_CAUSES}?")
    if any(samples.empty):
        log.warning("%d labelled segments had no feature rows and became one zero vector (named above)",
                    sum(samples.empty))
    return _finish(samples.embeddings(columns.names, train_rows), feature_root, extremes, file_of.get,
                   max_empty_share, max_robust_deviation)


def humor_feature_files(feature_root: Path, videos, partition_of: dict, label_dir: Path) -> dict[str, Path]:
    """``coach/video`` -> its feature file (names compared in NFC, hidden files skipped); features of a train or
    devel video without a label file are an error (its labels were lost, or the files are misnamed)."""
    coach_dirs = names.entries(feature_root, folders=True)
    out = {}
    for coach in dict.fromkeys(c for c, _, _ in videos):
        files = names.entries(coach_dirs[coach], ".csv") if coach in coach_dirs else {}
        out.update({f"{coach}/{video}": path for video, path in files.items()})
        labelled = {names.nfc(f.stem) for c, _, f in videos if c == coach}
        unlabelled = sorted(set(files) - labelled)
        if unlabelled and partition_of[coach] != "test":
            raise InputError(files[unlabelled[0]], f"features of {partition_of[coach]} video '{unlabelled[0]}' have "
                                                   f"no label file in {label_dir / coach} ({len(unlabelled)} such "
                                                   f"videos)")
    return out


def read_mimic(partition_file, label_file, feature_dir, feature: str, targets: list[str],
               task_type: str = "regression", max_empty_share: float = datachecks.MAX_EMPTY_SHARE,
               max_robust_deviation: float = datachecks.MAX_ROBUST_DEVIATION) -> Embeddings:
    """One sample per video: its whole feature sequence, with its target intensities (columns by name).

    A partition with more than ``max_empty_share`` all-zero videos is refused, and so is a feature value beyond
    ``max_robust_deviation`` robust spreads of its dimension (see :mod:`subspace.datachecks`).
    """
    partition_of = read_partition(Path(partition_file))
    label_file, feature_root = Path(label_file), Path(feature_dir) / feature
    if not feature_root.is_dir():
        raise InputError(feature_root, "feature folder does not exist")
    label_of = mimic_labels(label_file, targets, partition_of, task_type)
    feature_files = names.entries(feature_root, ".csv")
    columns, extremes, samples, train_rows = FeatureColumns(), datachecks.Extremes(), Samples(), RowStats()
    for video, partition in tqdm(partition_of.items(), desc=f"reading {feature}", unit="video", mininterval=5):
        label = mimic_label(label_of, video, partition, targets, label_file)
        if video not in feature_files:
            raise InputError(feature_root / f"{video}.csv", f"video '{video}' ({partition}) has no feature file")
        _, ts, matrix = read_feature_file(feature_files[video], columns, ("timestamp",), False, extremes)
        samples.add(matrix, ts, video, partition, label, video, video)
        if partition == "train":
            train_rows.add(matrix)
    stray = sorted(set(feature_files) - set(partition_of))
    if stray:
        raise InputError(feature_files[stray[0]], f"video '{stray[0]}' has features but is not in the partition "
                                                  f"file ({len(stray)} such videos)")
    unknown = sorted(set(label_of) - set(partition_of))
    if unknown:
        raise InputError(label_file, f"{len(unknown)} labelled videos are not in the partition file "
                                     f"(e.g. {unknown[:3]})")
    return _finish(samples.embeddings(columns.names, train_rows), feature_root, extremes, feature_files.get,
                   max_empty_share, max_robust_deviation)


def _finish(emb: Embeddings, where: Path, extremes: datachecks.Extremes, file_of, max_empty_share: float,
            max_robust_deviation: float) -> Embeddings:
    """The checks on a whole store: both scored partitions present, not too many empty samples, no extreme value."""
    for partition in SCORED:
        if not (emb.partitions == partition).any():
            raise InputError(where, f"the {partition} partition has no samples")
    datachecks.record_empty(emb, max_empty_share, where, file_of)
    datachecks.check_extremes(extremes, emb.sequences, emb.empty, emb.dim_names, max_robust_deviation)
    return emb
