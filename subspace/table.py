"""The `table` layout: one sample table per task, one row per sample (a whole file or a segment of one).

Columns (names configurable, ``tasks.<task>.table_columns``; docs/your-corpus.md)::

    id      unique sample id
    file    media path, relative to the table (needed only by features extracted from audio or video)
    start   segment start, end: its end (seconds or ms; optional: absent column or empty cells = the whole file)
    group   speaker, session or video: the unit of splitting, bootstrapping and leak checks (required)
    split   the sample's split, named as mapped by ``tasks.<task>.splits``
    text    what a text encoder embeds (optional)
    <targets>  the label columns, by name, encoded for the task (:func:`subspace.targets.encode_labels`)

:func:`table_problems` finds every problem of a table at once (each kind once, with its first row and how many
rows have it): the config check runs it before any job, and :func:`read_table` (every job that reads the table)
refuses the table with all of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import names
from .csvfile import read_csv, row_of, text_column
from .errors import InputError
from .labels import SCORED, scorable_problems
from .targets import LabelError, encode_labels

COLUMN_DEFAULTS = {"id": "id", "file": "file", "start": "start", "end": "end", "group": "group", "split": "split",
                   "text": "text", "unit": "s"}


@dataclass
class TableRows:
    """A checked sample table: per row its id, partition, group, media file (absolute, or None), segment in ms
    (None: the whole file), text (None without a text column) and labels (rows x targets, NaN where withheld)."""

    path: Path
    ids: list[str]
    partitions: list[str]
    groups: list[str]
    files: list[str | None]
    starts: list[int | None]
    ends: list[int | None]
    texts: list[str | None]
    labels: np.ndarray
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def separator(path) -> str:
    return "\t" if str(path).lower().endswith(".tsv") else ","


def columns_of(spec: dict) -> dict:
    return dict(COLUMN_DEFAULTS, **(spec.get("table_columns") or {}))


def split_names(spec: dict) -> dict[str, str]:
    """partition -> its name in the split column (a partition not mapped keeps its own name)."""
    return {p: (spec.get("splits") or {}).get(p, p) for p in ("train", "devel", "test")}


def read_table(spec: dict, needs=()) -> TableRows:
    """The task's sample table, checked; every problem at once in one :class:`InputError` naming the table.
    ``needs``: what the job's features read besides ids, groups, splits and labels (``file``, ``text``)."""
    rows = table_problems(spec, needs)
    if rows.problems:
        listed = rows.problems[0] if len(rows.problems) == 1 else "".join(f"\n  - {p}" for p in rows.problems)
        raise InputError(rows.path, (f"{len(rows.problems)} problems:" if len(rows.problems) > 1 else "") + listed)
    return rows


def table_problems(spec: dict, needs=()) -> TableRows:
    """The table's rows and every problem found in them (``rows.problems``; empty: the table is fine). A table
    that cannot be read at all (no such file, broken CSV, missing columns) raises :class:`InputError`."""
    path, cols = Path(spec["table"]), columns_of(spec)
    needs = set(needs)
    required = [cols["id"], cols["group"], cols["split"], *spec["targets"]]
    required += [cols[k] for k in ("file", "text") if k in needs]
    text_columns = [cols[k] for k in ("id", "group", "split", "file", "text", "start", "end")]  # (named as written)
    df = read_csv(path, tuple(required), text=tuple(text_columns), sep=separator(path))
    problems: list[str] = []
    ids = text_column(df, cols["id"], path).tolist()
    groups = text_column(df, cols["group"], path).tolist()
    partitions = read_splits(df, cols["split"], split_names(spec), path, problems)
    problems += unique_ids(ids, cols["id"]) + empty_cells(groups, cols["group"])
    if not spec.get("allow_group_leak"):
        problems += group_leaks(groups, partitions, cols["group"])
    starts, ends = segments(df, cols, problems)
    files = media_files(df, cols["file"], path, problems) if "file" in needs else [None] * len(df)
    texts = df[cols["text"]].astype(str).str.strip().tolist() if cols["text"] in df.columns else [None] * len(df)
    labels = label_matrix(df, spec, partitions, problems)
    if labels is not None and None not in partitions:
        problems += scorable_problems(labels, partitions, list(spec["targets"]), spec)
    if labels is None:
        labels = np.full((len(df), len(spec["targets"])), np.nan, np.float32)
    return TableRows(path, ids, partitions, groups, files, starts, ends, texts, labels, problems)


def rows_text(rows, limit: int = 3) -> str:
    """'row 4' or 'rows 4, 9, 12 …' (CSV lines)."""
    lines = [str(row_of(i)) for i in rows[:limit]]
    return f"row{'s' * (len(rows) > 1)} {', '.join(lines)}{' …' if len(rows) > limit else ''}"


def counted(n: int, what: str) -> str:
    return f" ({n} {what})" if n > 1 else ""


def read_splits(df: pd.DataFrame, column: str, names_of: dict[str, str], path: Path, problems: list) -> list:
    """Each row's partition (None where its split name is not mapped)."""
    partition_of = {}
    for partition, name in names_of.items():
        if name in partition_of:
            raise InputError(path, f"split name '{name}' is mapped to {partition_of[name]} and to {partition}")
        partition_of[name] = partition
    values = text_column(df, column, path).tolist()
    partitions = [partition_of.get(v) for v in values]
    unknown = [i for i, p in enumerate(partitions) if p is None]
    if unknown:
        found = list(dict.fromkeys(values[i] for i in unknown))
        problems.append(f"unknown split names {found[:5]} ({rows_text(unknown)}, column '{column}'): the split "
                        f"column's names are {names_of} (tasks.<task>.splits maps them; e.g. splits: "
                        f"{{devel: {found[0] or 'dev'}}})")
    return partitions


def unique_ids(ids: list[str], column: str) -> list[str]:
    problems = empty_cells(ids, column)
    seen: dict[str, int] = {}
    repeated = []
    for i, sample in enumerate(ids):
        if sample and sample in seen:
            repeated.append((seen[sample], i))
        seen.setdefault(sample, i)
    if repeated:
        first, again = repeated[0]
        problems.append(f"id '{ids[again]}' appears twice (rows {row_of(first)} and {row_of(again)}, column "
                        f"'{column}'){counted(len(repeated), 'repeated rows')}: every sample needs its own id")
    return problems


def empty_cells(values: list[str], column: str) -> list[str]:
    empty = [i for i, v in enumerate(values) if not v]
    return [f"empty {column} ({rows_text(empty)}, column '{column}')"] if empty else []


def group_leaks(groups: list[str], partitions: list, column: str) -> list[str]:
    """A group (speaker, session) with samples in two partitions: the decoder would be scored on a speaker it
    was trained on."""
    first: dict[str, dict[str, int]] = {}
    for i, (g, p) in enumerate(zip(groups, partitions)):
        if g and p is not None:
            first.setdefault(g, {}).setdefault(p, i)
    leaks = {g: where for g, where in first.items() if len(where) > 1}
    if not leaks:
        return []
    group, where = next(iter(leaks.items()))
    places = " and ".join(f"{p} (row {row_of(i)})" for p, i in where.items())
    return [f"group '{group}' has samples in {places}, column '{column}'{counted(len(leaks), 'such groups')}: a "
            f"speaker or session in two splits leaks it into the scores; move its rows into one split, or set "
            f"allow_group_leak: true"]


def segments(df: pd.DataFrame, cols: dict, problems: list) -> tuple[list, list]:
    """Each row's [start, end) in ms, or None for the whole file (no start/end columns, or both cells empty)."""
    start_col, end_col = cols["start"], cols["end"]
    present = [c for c in (start_col, end_col) if c in df.columns]
    if not present:
        return [None] * len(df), [None] * len(df)
    if len(present) == 1:
        other = end_col if present == [start_col] else start_col
        problems.append(f"column '{present[0]}' without column '{other}': a segment needs both (or neither: whole "
                        f"files)")
        return [None] * len(df), [None] * len(df)
    scale = 1000.0 if cols["unit"] == "s" else 1.0
    start, end = (pd.to_numeric(df[c], errors="coerce").to_numpy(np.float64) for c in present)
    given = [df[c].notna().to_numpy() & (df[c].astype(str).str.strip() != "").to_numpy() for c in present]
    checks = [
        ((given[0] & np.isnan(start)) | (given[1] & np.isnan(end)), "a start or end that is not a number"),
        (given[0] != given[1], "a start without an end or an end without a start (both empty: the whole file)"),
        (given[0] & given[1] & ((start < 0) | ~np.isfinite(start)), "a negative or infinite start"),
        (given[0] & given[1] & np.isfinite(start) & ~(end > start), "start ≥ end (an empty segment)"),
    ]
    bad_rows = np.zeros(len(df), bool)
    for bad, problem in checks:
        bad = bad & ~bad_rows
        if bad.any():
            i = np.flatnonzero(bad)
            problems.append(f"{problem}: start {df[start_col].iloc[i[0]]}, end {df[end_col].iloc[i[0]]} "
                            f"({rows_text(list(i))}, columns '{start_col}', '{end_col}', in {cols['unit']})")
            bad_rows |= bad
    whole = ~given[0] | bad_rows
    return ([None if w else int(round(s * scale)) for s, w in zip(start, whole)],
            [None if w else int(round(e * scale)) for e, w in zip(end, whole)])


def media_files(df: pd.DataFrame, column: str, path: Path, problems: list) -> list:
    """Each row's media file (relative paths are relative to the table's folder, names compared in NFC)."""
    values = text_column(df, column, path).tolist()
    folder, found, missing, empty = path.parent, {}, [], []
    for i, value in enumerate(values):
        if not value:
            empty.append(i)
            continue
        if value not in found:
            found[value] = names.resolve(folder / value)
        if not found[value].is_file():
            missing.append(i)
    if empty:
        problems.append(f"no media file ({rows_text(empty)}, column '{column}'): features extracted from audio or "
                        f"video need one per row")
    if missing:
        n = len({values[i] for i in missing})
        problems.append(f"file '{values[missing[0]]}' does not exist ({found[values[missing[0]]]}; "
                        f"{rows_text(missing)}, column '{column}'){counted(n, 'missing files')}: file paths are "
                        f"relative to the table's folder")
    return [str(found[v]) if v else None for v in values]


def label_matrix(df: pd.DataFrame, spec: dict, partitions: list, problems: list) -> np.ndarray | None:
    """The target columns encoded for the task (rows x targets); a missing label is allowed in test only."""
    out = []
    for target in spec["targets"]:
        try:
            values = encode_labels(df[target].to_numpy(dtype=object), spec)[:, 0]
        except LabelError as exc:
            problems.append(f"{exc.problem} (row {row_of(exc.row)}, column '{target}')")
            return None
        scored = np.isin(np.asarray(partitions, dtype=object), SCORED)
        missing = np.flatnonzero(~np.isfinite(values) & scored)
        if len(missing):
            problems.append(f"missing or NaN label for a {partitions[missing[0]]} sample ({rows_text(list(missing))}, "
                            f"column '{target}'): train and devel labels must all be given (test labels may be "
                            f"withheld)")
            return None
        out.append(values)
    return np.stack(out, axis=1).astype(np.float32)
