"""Partition and label readers for the MuSe 2023 layouts (see :mod:`subspace.data` for the layouts).

Labels are read by column name; ids are text in Unicode NFC; every problem raises
:class:`~subspace.errors.InputError` naming the file.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from . import names
from .config.model import Task, default
from .csvfile import looks_like_data, missing_header, numeric_column, read_csv, row_of, shown, text_column
from .errors import InputError
from .store import Embeddings
from .targets import LabelError, encode_labels

log = logging.getLogger(__name__)

PARTITIONS = ("train", "devel", "test")
SCORED = ("train", "devel")  # partitions whose labels train and early-stop the decoder
HUMOR_LABEL_COLUMN = default(Task, "label_column")


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
    if not df.columns[0]:
        raise InputError(path, f"the first column has no name (a row index, as pandas writes by default?): the ids "
                               f"must be the first column (columns found: {shown(list(df.columns))})")
    reason = looks_like_data(list(df.columns), PARTITIONS)
    if reason:  # without a header line the first sample would silently become the column names
        raise InputError(path, missing_header(list(df.columns), reason, "an id column first and a partition "
                                                                        "column last (e.g. Id,Partition)"))
    ids = text_column(df, df.columns[0], path).tolist()
    parts = text_column(df, df.columns[-1], path).tolist()
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


def _encoded(cells, task: Mapping, columns: list[str], path: Path) -> np.ndarray:
    try:
        return encode_labels(cells, task)
    except LabelError as exc:
        raise InputError(path, f"{exc.problem} (row {row_of(exc.row)}, column '{columns[exc.column]}')") from None


def label_values(df: pd.DataFrame, columns: list[str], partitions, path: Path, task_type) -> np.ndarray:
    """The label columns as float32 (rows x columns), checked against the task type.

    ``task_type`` is the kind, or the task's settings (:func:`label_task`): class names (multiclass) and a
    named positive value (binary) become numbers through :func:`subspace.targets.encode_labels`; otherwise
    every label is a number. A missing, NaN or Inf label is an error in a scored partition (train,
    devel) and NaN in test (withheld labels); a binary task's labels are 0 or 1.
    """
    task = task_type if isinstance(task_type, Mapping) else {"type": task_type}
    task_type = task["type"]
    if task_type == "multiclass" or task.get("positive") is not None:
        values = _encoded(df[list(columns)].to_numpy(dtype=object), task, columns, path)
    else:
        values = np.stack([numeric_column(df, c, path, "label") for c in columns], axis=1)
    scored = np.isin(np.asarray(partitions, dtype=object), SCORED)
    for i, k in np.argwhere(~np.isfinite(values) & scored[:, None]):
        problem = "missing or NaN label" if np.isnan(values[i, k]) else f"infinite label {values[i, k]:g}"
        raise InputError(path, f"{problem} for a {partitions[i]} sample (row {row_of(i)}, column '{columns[k]}'): "
                               f"train and devel labels must all be numbers")
    if task_type == "binary" and task.get("positive") is None:
        values = _encoded(values, task, columns, path)  # each 0 or 1
    return values.astype(np.float32)


def humor_videos(partition_of: dict[str, str], label_dir: Path) -> list[tuple[str, str, Path]]:
    """(coach, partition, label file) of every labelled video in store order (the partition file's); test coaches
    without labels are skipped."""
    label_dir, out = Path(label_dir), []
    coach_dirs = names.entries(label_dir, folders=True)
    # the partition file's order, as the baseline's parser: the same seed then draws the same batches
    for coach, partition in partition_of.items():
        label_files = sorted(names.entries(coach_dirs[coach], ".csv").values()) if coach in coach_dirs else []
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
    coach, video = names.nfc(label_file.parent.name), names.nfc(label_file.stem)
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
    videos = text_column(df, "filename", label_file).tolist()
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


def label_task(spec: dict) -> dict:
    """A store spec's target settings for :func:`label_values`: the spec with its kind (:func:`task_type`)."""
    return {**spec, "type": task_type(spec)}


def task_type(spec: dict) -> str:
    """The task type of a store spec (the config's ``tasks.<task>``); the layout implies it where unset."""
    return spec.get("type") or ("binary" if spec["layout"] == "humor" else "regression")


def label_source(spec: dict) -> str:
    """The labels a store spec reads: the file a message about them names."""
    return str({"humor": spec.get("label_dir"), "mimic": spec.get("label_file")}.get(spec["layout"], spec.get("table")))


def check_scorable(emb: Embeddings, task, source) -> None:
    """Refuse a store no decoder can be trained and early-stopped on (:func:`scorable_problems`; ``task``: its
    spec, or just its type)."""
    targets = list(emb.attrs.get("targets") or [f"target {k}" for k in range(emb.labels.shape[1])])
    problems = scorable_problems(emb.labels, emb.partitions, targets, task)
    if problems:
        raise InputError(source, problems[0])


def scorable_problems(labels: np.ndarray, partitions, targets: list[str], task) -> list[str]:
    """What makes a scored partition (train, devel) useless for training and early stopping: no samples, missing
    labels, a single class (binary: ROC AUC undefined), a class without samples (multiclass: UAR undefined), a
    constant target (regression: Pearson r undefined)."""
    spec = task if isinstance(task, dict) else {"type": task}
    partitions, problems = np.asarray(partitions, dtype=object), []
    for partition in SCORED:
        y = labels[partitions == partition]
        if len(y) == 0:
            problems.append(f"the {partition} partition has no samples")
            continue
        if not np.isfinite(y).all():
            problems.append(f"the {partition} partition has missing, NaN or Inf labels")
            continue
        for k, target in enumerate(targets):
            values = np.unique(y[:, k])
            if spec.get("type") == "multiclass":
                classes = list(spec.get("classes") or [])
                absent = [c for i, c in enumerate(classes) if i not in values]
                if absent:
                    which = f"classes {absent} of target '{target}' have" if len(absent) > 1 else \
                        f"class '{absent[0]}' of target '{target}' has"
                    problems.append(f"{which} no {partition} sample ({len(y)} samples): its recall, and so UAR, is "
                                    f"undefined; every class must be in train and devel")
            elif len(values) > 1:
                continue
            elif spec.get("type") == "binary":
                problems.append(f"every label of the {partition} partition is {values[0]:g} (one class, {len(y)} "
                                f"samples): ROC AUC is undefined, so no decoder can be scored or early-stopped on "
                                f"it; both classes must be in train and devel")
            else:
                problems.append(f"target '{target}' is constant ({values[0]:g}) in the {partition} partition "
                                f"({len(y)} samples): Pearson r is undefined, so no decoder can be scored or "
                                f"early-stopped on it")
    return problems


def mimic_label(label_of: dict, video: str, partition: str, targets: list[str], label_file) -> np.ndarray:
    """A video's labels; a test video without labels gets NaN (withheld), any other is an error."""
    if video in label_of:
        return label_of[video]
    if partition == "test":
        return np.full(len(targets), np.nan, np.float32)
    raise InputError(label_file, f"no labels for {partition} video '{video}'")
