"""Pre-computed features of a sample table (``source: precomputed``): the vectors or sequences you extracted.

``path`` is one of:

- a template with ``{id}``: one ``.npy`` per sample, of shape [D] (a vector: a sequence of one step) or [T, D];
- one ``.npz`` or HDF5 file (``.h5``/``.hdf5``) holding a (samples x D) matrix and its ids (``matrix_key``,
  ``ids_key``), in any order, more ids than the table's allowed;
- one ``.npy`` (samples x D) matrix whose rows are the table's rows, in the table's order.

Every problem raises :class:`~subspace.errors.InputError` naming the file (and the sample or row).
"""
from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from . import datachecks, names
from .data import Samples
from .errors import InputError
from .store import Embeddings, RowStats
from .table import TableRows, read_table

log = logging.getLogger(__name__)

ID = "{id}"
HDF5_SUFFIXES = (".h5", ".hdf5")


def sample_file(template: str, sample_id: str) -> Path:
    """The file of one sample (the template's ``{id}`` replaced; names compared in NFC)."""
    return names.resolve(Path(template.replace(ID, sample_id)))


def load_npy(path: Path) -> np.ndarray:
    if not path.is_file():
        raise InputError(path, "file does not exist")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:  # truncated, not a .npy, or an array of Python objects
        raise InputError(path, f"cannot read the array (truncated, not a .npy file, or an array of Python objects?): "
                               f"{exc}") from None


def as_rows(array: np.ndarray, path: Path, what: str) -> np.ndarray:
    """One sample's array as float32 (steps x D): [D] is one step."""
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise InputError(path, f"{what} holds {array.dtype} values, not real numbers")
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or 0 in array.shape:
        raise InputError(path, f"{what} has shape {array.shape}: a sample's features must be [D] (a vector) or "
                               f"[T, D] (T steps of D dimensions), not empty")
    return np.ascontiguousarray(array, dtype=np.float32)


def per_sample_files(template: str, rows: TableRows) -> tuple[list[np.ndarray], list[Path]]:
    """Each row's ``.npy`` (every missing one counted, the first named)."""
    files = [sample_file(template, sample_id) for sample_id in rows.ids]
    missing = [i for i, f in enumerate(files) if not f.is_file()]
    if missing:
        i = missing[0]
        raise InputError(files[i], f"file does not exist: the features of sample '{rows.ids[i]}' (path template "
                                   f"{template}){f'; {len(missing)} samples have no file' if len(missing) > 1 else ''}")
    return [as_rows(load_npy(f), f, "the array") for f in files], files


def matrix_file(path: Path, ids_key: str, matrix_key: str) -> tuple[list[str] | None, np.ndarray]:
    """(ids or None, matrix) of one ``.npz``/HDF5 (ids and matrix by key) or ``.npy`` (a matrix, no ids)."""
    if not path.is_file():
        raise InputError(path, "file does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return None, load_npy(path)
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in (ids_key, matrix_key) if k in f.files}
                found = list(f.files)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(path, f"cannot read the .npz (truncated or not a .npz?): {exc}") from None
    elif suffix in HDF5_SUFFIXES:
        import h5py
        try:
            with h5py.File(path, "r") as f:
                arrays = {k: f[k][()] for k in (ids_key, matrix_key) if k in f and isinstance(f[k], h5py.Dataset)}
                found = list(f.keys())
        except OSError as exc:
            raise InputError(path, f"cannot read HDF5 file (corrupt or truncated?): {exc}") from None
    else:
        raise InputError(path, f"'{suffix}' is not a format of pre-computed features: a .npy per sample (a path "
                               f"with {ID}), or one .npz, .h5 or .npy file")
    missing = [k for k in (ids_key, matrix_key) if k not in arrays]
    if missing:
        raise InputError(path, f"has no {' and no '.join(repr(k) for k in missing)} array (arrays found: "
                               f"{found[:10]}): name them with ids_key and matrix_key")
    ids = arrays[ids_key]
    if ids.ndim != 1:
        raise InputError(path, f"the ids ('{ids_key}') have shape {ids.shape}: one id per matrix row")
    return [id_text(v) for v in ids.tolist()], arrays[matrix_key]


def id_text(value) -> str:
    """An id from a matrix file the way the table's ids are read: text in Unicode NFC, a whole number without
    decimals (an integer array of ids matches the table's `42`)."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
            and float(value).is_integer():
        return str(int(value))
    return names.nfc(str(value).strip())


def matrix_rows(path: Path, ids: list[str] | None, matrix: np.ndarray, rows: TableRows, keys: tuple) -> list:
    """The matrix's row of each table row: by id, or by position where the file has no ids."""
    if matrix.ndim != 2:
        raise InputError(path, f"the matrix has shape {matrix.shape}: (samples x D) expected (one vector per sample;"
                               f" sequences go in a .npy per sample)")
    if ids is None:
        if len(matrix) != len(rows):
            raise InputError(path, f"{len(matrix)} rows for the {len(rows)} rows of the table {rows.path}: a .npy "
                                   f"matrix must hold the table's rows in the table's order (or use a .npz/.h5 with "
                                   f"ids)")
        return [as_rows(matrix[i], path, f"row {i}") for i in range(len(rows))]
    if len(ids) != len(matrix):
        raise InputError(path, f"{len(ids)} ids ('{keys[0]}') for {len(matrix)} matrix rows ('{keys[1]}')")
    position: dict[str, int] = {}
    for i, sample_id in enumerate(ids):
        if sample_id in position:
            raise InputError(path, f"id '{sample_id}' appears twice (matrix rows {position[sample_id]} and {i})")
        position[sample_id] = i
    absent = [s for s in rows.ids if s not in position]
    if absent:
        raise InputError(path, f"{len(absent)} samples of the table {rows.path} have no features here (e.g. "
                               f"{absent[:3]}; ids found: {ids[:3]} …)")
    if len(ids) > len(rows):
        log.info("%s: %d ids are not in the table %s: not used", path, len(ids) - len(rows), rows.path)
    return [as_rows(matrix[position[s]], path, f"the row of '{s}'") for s in rows.ids]


def read_vectors(feature: dict, rows: TableRows) -> tuple[list[np.ndarray], list[Path]]:
    """Every table row's features (steps x D, float32) and the file each came from."""
    path = feature.get("path")
    if not path:
        raise InputError(rows.path, "a precomputed feature needs `path`")
    if ID in path:
        sequences, files = per_sample_files(path, rows)
    else:
        one, keys = Path(path), (feature.get("ids_key", "ids"), feature.get("matrix_key", "features"))
        ids, matrix = matrix_file(one, *keys)
        sequences = matrix_rows(one, ids, matrix, rows, keys)
        files = [one] * len(rows)
    dim = sequences[0].shape[1]
    for seq, file, sample_id in zip(sequences, files, rows.ids):
        if seq.shape[1] != dim:
            raise InputError(file, f"sample '{sample_id}' has {seq.shape[1]} dimensions, the first sample "
                                   f"('{rows.ids[0]}', {files[0]}) {dim}")
        if not np.isfinite(seq).all():
            step, column = np.argwhere(~np.isfinite(seq))[0]
            raise InputError(file, f"NaN or Inf in the features of sample '{sample_id}' (step {step}, dimension "
                                   f"{column})")
    return sequences, files


def read_precomputed(spec: dict, feature: str, max_empty_share: float = datachecks.MAX_EMPTY_SHARE,
                     max_robust_deviation: float = datachecks.MAX_ROBUST_DEVIATION) -> Embeddings:
    """A table task's store of one pre-computed feature (``spec["vectors"]``: its path and keys): one sample per
    table row, in the table's order; its steps' timestamps count from 0. The same checks as every store: empty
    (all-zero) samples, values far outside their dimension's spread."""
    rows = read_table(spec)
    sequences, files = read_vectors(spec["vectors"], rows)
    samples, train_rows, extremes = Samples(), RowStats(), datachecks.Extremes()
    for seq, file, sample_id, partition, group, label in zip(sequences, files, rows.ids, rows.partitions,
                                                            rows.groups, rows.labels):
        samples.add(seq, np.arange(len(seq), dtype=np.int64), sample_id, partition, label, group, group)
        extremes.add(file, seq, lambda i, sid=sample_id: f"sample '{sid}', step {i}")
        if partition == "train":
            train_rows.add(seq)
    emb = samples.embeddings([f"{feature}_{i}" for i in range(sequences[0].shape[1])], train_rows)
    datachecks.record_empty(emb, max_empty_share, rows.path)  # (names the groups holding most empty samples)
    datachecks.check_extremes(extremes, emb.sequences, emb.empty, emb.dim_names, max_robust_deviation)
    return emb
