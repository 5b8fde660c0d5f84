"""The embedding store: one HDF5 file per (task, feature).

Layout (all arrays row-aligned; sample ``i`` owns rows ``offsets[i]:offsets[i+1]``)::

    /features    (total_steps, dim) float32   every sample's sequence, concatenated
    /timestamps  (total_steps,)     int64     milliseconds of each row
    /offsets     (n_samples + 1,)   int64
    /sample_id   (n_samples,)       str       e.g. "coach/video/segment" or the Mimic video id
    /partition   (n_samples,)       str       train / devel / test
    /labels      (n_samples, n_targets) float32 (NaN where a partition has no labels)
    /dim_names   (dim,)             str
    /empty       (n_samples,)       bool      the sample's window had no rows: its one row is an imputed zero
    /group       (n_samples,)       str       the sampling unit (bootstrap, leak checks): Humor the video
                                              "coach/video", Mimic the video id (= the sample)
    /subject     (n_samples,)       str       Humor the coach, Mimic the video id
    /train_row_mean, /train_row_std (dim,) float64   per-dimension mean and std (ddof 0) of every feature row of
                                              the training videos, inside labelled windows or not: the
                                              baseline's StandardScaler (used when a feature is normalised)
    attrs: task, feature, encoder, dim, targets (JSON list), config_hash, source, train_row_count,
           empty_segments (imputed samples), zero_samples (all-zero ones), empty_share (both, of all samples)

Concatenating instead of one group per sample keeps reading 18,000 videos a single I/O call.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from .atomic import atomic_path
from .errors import InputError

STR = h5py.string_dtype()


@dataclass
class RowStats:
    """Streaming per-dimension mean and variance (float64; Chan et al.'s pairwise update), so the scaler of
    millions of rows is exact without holding them: ``add`` a matrix of rows, ``merge`` another RowStats."""

    count: int = 0
    mean: np.ndarray | None = None
    m2: np.ndarray | None = None

    def add(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64)
        if len(rows):
            self.merge(RowStats(len(rows), rows.mean(0), ((rows - rows.mean(0)) ** 2).sum(0)))

    def merge(self, other: "RowStats") -> None:
        if not other.count:
            return
        if not self.count:
            self.count, self.mean, self.m2 = other.count, other.mean.copy(), other.m2.copy()
            return
        n = self.count + other.count
        delta = other.mean - self.mean
        self.mean = self.mean + delta * other.count / n
        self.m2 = self.m2 + other.m2 + delta ** 2 * self.count * other.count / n
        self.count = n

    @property
    def std(self) -> np.ndarray:
        """Population std (ddof 0) as sklearn's StandardScaler; a constant dimension gets 1 (left unscaled)."""
        std = np.sqrt(self.m2 / self.count)
        return np.where(std > 0, std, 1.0)

    def select(self, dims) -> "RowStats":
        dims = np.asarray(dims, dtype=int)
        return RowStats(self.count, self.mean[dims], self.m2[dims])


@dataclass
class Embeddings:
    """A feature's sequences in memory; ``sequences[i]`` is a (time x dim) float32 array."""

    sequences: list[np.ndarray]
    timestamps: list[np.ndarray]
    sample_ids: np.ndarray
    partitions: np.ndarray
    labels: np.ndarray
    dim_names: list[str]
    attrs: dict = field(default_factory=dict)
    empty: np.ndarray | None = None      # per sample: an imputed zero row (its window had no rows)
    train_rows: RowStats | None = None   # every training video's rows, for the baseline's scaler
    groups: np.ndarray | None = None     # per sample: its sampling unit (Humor "coach/video", Mimic the video)
    subjects: np.ndarray | None = None   # per sample: Humor the coach, Mimic the video

    def __post_init__(self):
        if self.empty is None:
            self.empty = np.zeros(len(self.sequences), dtype=bool)
        if self.groups is None or self.subjects is None:
            groups, subjects = units_of(self.sample_ids)
            self.groups = groups if self.groups is None else self.groups
            self.subjects = subjects if self.subjects is None else self.subjects

    @property
    def dim(self) -> int:
        return len(self.dim_names)

    def replace_sequences(self, sequences: list[np.ndarray]) -> "Embeddings":
        return dataclasses.replace(self, sequences=sequences)

    def subset(self, partition: str) -> "Embeddings":
        return self.take(np.flatnonzero(self.partitions == partition))

    def take(self, idx) -> "Embeddings":
        """The samples at positions ``idx``, in that order."""
        idx = np.asarray(idx, dtype=int)
        return Embeddings(
            sequences=[self.sequences[i] for i in idx],
            timestamps=[self.timestamps[i] for i in idx],
            sample_ids=self.sample_ids[idx],
            partitions=self.partitions[idx],
            labels=self.labels[idx],
            dim_names=self.dim_names,
            attrs=self.attrs,
            empty=self.empty[idx],
            train_rows=self.train_rows,
            groups=self.groups[idx],
            subjects=self.subjects[idx],
        )

    def select_dims(self, dims) -> "Embeddings":
        dims = np.asarray(dims, dtype=int)
        return Embeddings(
            sequences=[s[:, dims] for s in self.sequences],
            timestamps=self.timestamps,
            sample_ids=self.sample_ids,
            partitions=self.partitions,
            labels=self.labels,
            dim_names=[self.dim_names[i] for i in dims],
            attrs=self.attrs,
            empty=self.empty,
            train_rows=None if self.train_rows is None else self.train_rows.select(dims),
            groups=self.groups,
            subjects=self.subjects,
        )


def units_of(sample_ids) -> tuple[np.ndarray, np.ndarray]:
    """Groups and subjects from the sample ids alone (stores written before they were stored): a Humor id
    ``coach/video/segment/start`` belongs to the video ``coach/video`` and the coach; a Mimic id is a video, its
    own group and subject (folder and file names hold no '/', so the split is unambiguous)."""
    parts = [str(s).split("/") for s in sample_ids]
    groups = np.array(["/".join(p[:2]) if len(p) >= 4 else "/".join(p) for p in parts], dtype=object)
    subjects = np.array([p[0] if len(p) >= 4 else "/".join(p) for p in parts], dtype=object)
    return groups, subjects


def summary(emb: Embeddings) -> str:
    """The store job's one line: samples per partition, dimension, and the empty or all-zero samples."""
    counts = {p: int((emb.partitions == p).sum()) for p in ("train", "devel", "test")}
    n_empty = int(emb.attrs.get("empty_segments", 0)) + int(emb.attrs.get("zero_samples", 0))
    return (f"{len(emb.sample_ids)} samples {counts}, dim {emb.dim}, {n_empty} empty or all-zero "
            f"({emb.attrs.get('empty_share', n_empty / max(1, len(emb.sample_ids))):.1%})")


def config_hash(obj) -> str:
    """A short stable hash of the (JSON-serialisable) settings that produced a file."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def write_embeddings(path: str | os.PathLike, emb: Embeddings) -> None:
    if not emb.sequences:
        raise InputError(path, "no samples to write")
    lengths = np.array([len(s) for s in emb.sequences], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("features", data=np.concatenate(emb.sequences).astype(np.float32),
                         compression="gzip", compression_opts=1, chunks=True)
        f.create_dataset("timestamps", data=np.concatenate(emb.timestamps).astype(np.int64))
        f.create_dataset("offsets", data=offsets)
        f.create_dataset("sample_id", data=np.asarray(emb.sample_ids, dtype=object), dtype=STR)
        f.create_dataset("partition", data=np.asarray(emb.partitions, dtype=object), dtype=STR)
        f.create_dataset("labels", data=np.asarray(emb.labels, dtype=np.float32))
        f.create_dataset("dim_names", data=np.asarray(emb.dim_names, dtype=object), dtype=STR)
        f.create_dataset("empty", data=np.asarray(emb.empty, dtype=bool))
        f.create_dataset("group", data=np.asarray(emb.groups, dtype=object), dtype=STR)
        f.create_dataset("subject", data=np.asarray(emb.subjects, dtype=object), dtype=STR)
        attrs = dict(emb.attrs)
        if emb.train_rows is not None and emb.train_rows.count:
            f.create_dataset("train_row_mean", data=emb.train_rows.mean)
            f.create_dataset("train_row_std", data=np.sqrt(emb.train_rows.m2 / emb.train_rows.count))
            attrs["train_row_count"] = int(emb.train_rows.count)
        attrs["dim"] = len(emb.dim_names)
        for key, value in attrs.items():
            f.attrs[key] = json.dumps(value) if isinstance(value, (list, dict)) else value


def read_embeddings(path: str | os.PathLike) -> Embeddings:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "embedding store does not exist")
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in ("features", "timestamps", "offsets", "sample_id", "partition",
                                   "labels", "dim_names") if k not in f]
            if missing:
                raise InputError(path, f"not an embedding store: missing datasets {missing}")
            features = f["features"][()]
            timestamps = f["timestamps"][()]
            offsets = f["offsets"][()]
            sample_ids = f["sample_id"].asstr()[()]
            partitions = f["partition"].asstr()[()]
            labels = f["labels"][()]
            dim_names = list(f["dim_names"].asstr()[()])
            attrs = {k: _decode_attr(v) for k, v in f.attrs.items()}
            empty = f["empty"][()].astype(bool) if "empty" in f else None
            groups = f["group"].asstr()[()].astype(object) if "group" in f else None
            subjects = f["subject"].asstr()[()].astype(object) if "subject" in f else None
            train_rows = None
            if "train_row_mean" in f:
                count = int(attrs.get("train_row_count", 1))
                train_rows = RowStats(count, f["train_row_mean"][()], f["train_row_std"][()] ** 2 * count)
    except OSError as exc:  # h5py reports truncated/corrupt files as OSError
        raise InputError(path, f"cannot read HDF5 file (corrupt or truncated?): {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:  # a dataset of another type or shape than the store writes
        raise InputError(path, f"not an embedding store this version can read ({type(exc).__name__}: {exc})") from None
    check_layout(path, features, timestamps, offsets, sample_ids,
                 {"partition": partitions, "labels": labels, "empty": empty, "group": groups, "subject": subjects},
                 dim_names)
    sequences = [features[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    stamps = [timestamps[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    return Embeddings(sequences, stamps, sample_ids, partitions, labels, dim_names, attrs, empty, train_rows,
                      groups, subjects)


def check_layout(path, features, timestamps, offsets, sample_ids, per_sample: dict, dim_names) -> None:
    """The datasets fit together (a file edited by hand or cut short would misalign samples silently)."""
    if features.ndim != 2 or features.shape[1] != len(dim_names):
        raise InputError(path, f"features of shape {features.shape} do not match the {len(dim_names)} dim_names")
    if (offsets.ndim != 1 or len(offsets) != len(sample_ids) + 1 or offsets[0] != 0 or offsets[-1] != len(features)
            or (np.diff(offsets) < 0).any()):
        raise InputError(path, "offsets do not match the stored features (truncated file?)")
    if len(timestamps) != len(features):
        raise InputError(path, f"{len(timestamps)} timestamps for {len(features)} feature rows")
    for name, values in per_sample.items():
        if values is not None and len(values) != len(sample_ids):
            raise InputError(path, f"/{name} has {len(values)} entries for {len(sample_ids)} samples")


def _decode_attr(value):
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, np.generic):
        return value.item()
    return value


# ------------------------------------------------------------------------------ attributions
def write_attributions(path, stats: dict, dim_names: list[str], attrs: dict) -> None:
    """An attribution file: one float64 dataset per statistic (``mean``, ``std``, ``mean_per_target``, ...),
    ``dim_names`` and the run's settings as attributes. Here, not in :mod:`.attribute`, so that the
    jobs that only read attributions (select, plot, fau_figure) do not import torch and captum."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for key, value in stats.items():
            f.create_dataset(key, data=np.asarray(value, dtype=np.float64))
        f.create_dataset("dim_names", data=np.asarray(dim_names, dtype=object), dtype=h5py.string_dtype())
        for key, value in attrs.items():
            f.attrs[key] = value


def read_attributions(path) -> dict:
    try:
        with h5py.File(path, "r") as f:
            out = {k: f[k][()] for k in f.keys() if k != "dim_names"}
            out["dim_names"] = list(f["dim_names"].asstr()[()])
            out["attrs"] = dict(f.attrs)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise InputError(path, f"cannot read attributions (corrupt or truncated?): {exc}") from exc
    return out
