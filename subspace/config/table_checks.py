"""Config checks of the `table` layout and of pre-computed features, before any job: the keys a layout reads,
the features' sources, and the sample table itself (every problem of its rows, :mod:`subspace.table`)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .model import PRECOMPUTED, Config, Task
from .problems import TABLE_DOC, Problem

MUSE_KEYS = ("partition_file", "label_dir", "label_file", "feature_dir")
TABLE_ENCODER_KINDS = ("audio", "video", "text")
# folders under `results` that are not tasks
RESERVED_TASKS = ("logs", "benchmarks")


def template_folder(template: str) -> Path:
    """The folder above the first part of a path template that holds a placeholder."""
    parts = Path(template).parts
    return Path(*parts[:next(i for i, p in enumerate(parts) if "{" in p)] or ["."])


def check_task_name(name: str) -> Iterator[Problem]:
    if name in RESERVED_TASKS:
        yield Problem(f"tasks.{name}", f"'{name}' is a folder of every run under `results`: name the task otherwise")


def check_table_layout(cfg: Config, name: str, t: Task, demo: bool) -> Iterator[Problem]:
    """A table task's keys and features; its table's rows where the table is the user's (not yet written by the
    demo)."""
    key = f"tasks.{name}"
    if t.table is None:
        yield Problem(f"{key}.table", "the table layout needs `table` (the sample table: docs/your-corpus.md)",
                      TABLE_DOC)
    for other in MUSE_KEYS:
        if getattr(t, other) is not None:
            yield Problem(f"{key}.{other}", f"is not read by the table layout (its samples, splits and labels are "
                                            f"the table's rows)", TABLE_DOC)
    if any(t.media.model_dump(exclude={"transcript_columns"}, exclude_none=True).values()):
        yield Problem(f"{key}.media", "is not read by the table layout: media files are the table's `file` column",
                      TABLE_DOC)
    if set(t.splits.values()) and len(set(t.split_names().values())) < 3:
        yield Problem(f"{key}.splits", f"{t.split_names()} gives two partitions the same name", TABLE_DOC)
    for feature in t.csv_features():
        yield Problem(f"{key}.features.{feature}.source", "`csv` reads the organisers' feature folders (humor and "
                                                          "mimic layouts); a table task's features are `precomputed` "
                                                          "or extracted by an encoder", TABLE_DOC)
    for feature in t.raw_features():
        enc = cfg.encoders.get(t.features[feature].source)
        if enc is not None and enc.kind not in TABLE_ENCODER_KINDS:
            yield Problem(f"{key}.features.{feature}.source", f"a {enc.kind} encoder cannot read a sample table (its "
                                                              f"rows give a media file and a text: "
                                                              f"{', '.join(TABLE_ENCODER_KINDS)} encoders)", TABLE_DOC)
        elif enc is not None and enc.translate:
            yield Problem(f"{key}.features.{feature}.source", f"encoder '{t.features[feature].source}' translates "
                                                              f"transcripts first; a table's text column is embedded "
                                                              f"as it is (translate it beforehand)", TABLE_DOC)
    if t.table is not None and not demo:
        yield from check_table_rows(cfg, name, t)


def table_needs(cfg: Config, t: Task) -> set[str]:
    """What the task's features read from the table's rows: media files, texts."""
    from ..samples import TABLE_NEEDS
    kinds = {cfg.encoders[t.features[f].source].kind for f in t.raw_features() if t.features[f].source in cfg.encoders}
    return {need for kind in kinds for need in TABLE_NEEDS.get(kind, ())}


def check_table_rows(cfg: Config, name: str, t: Task) -> Iterator[Problem]:
    from ..errors import InputError
    from ..steps.store import spec as store_spec
    from ..table import table_problems
    key = f"tasks.{name}.table"
    if not Path(t.table).is_file():
        yield Problem(key, f"{t.table} does not exist", TABLE_DOC)
        return
    try:
        rows = table_problems(store_spec(cfg, name), table_needs(cfg, t))
    except InputError as exc:
        yield Problem(key, f"{exc.path}: {exc.problem}", TABLE_DOC)
        return
    for problem in rows.problems:
        yield Problem(key, f"{rows.path}: {problem}", TABLE_DOC)


def check_precomputed(name: str, t: Task, demo: bool) -> Iterator[Problem]:
    """Pre-computed features: a table task's, with a path (a template with only `{id}`, or one file)."""
    for feature in t.precomputed_features():
        key = f"tasks.{name}.features.{feature}"
        path = t.features[feature].path
        if t.layout != "table":
            yield Problem(f"{key}.source", "pre-computed features need the table layout (their files are found by "
                                           "the table's ids)", TABLE_DOC)
            continue
        if path is None:
            yield Problem(f"{key}.path", "a precomputed feature needs `path`: a template with {id} (one .npy per "
                                         "sample) or one .npz/.h5/.npy file", TABLE_DOC)
            continue
        try:
            path.format(id="id")
        except (KeyError, IndexError, ValueError) as exc:
            yield Problem(f"{key}.path", f"'{path}' is not a path template with only {{id}} ({type(exc).__name__}: "
                                         f"{exc})", TABLE_DOC)
            continue
        if demo:
            continue
        where = template_folder(path) if "{id}" in path else Path(path)
        if not where.exists():
            yield Problem(f"{key}.path", f"{'folder ' if '{id}' in path else ''}{where} does not exist", TABLE_DOC)
    for feature, hp in t.features.items():
        if hp.source != PRECOMPUTED and hp.path is not None:
            yield Problem(f"tasks.{name}.features.{feature}.path", f"is read only by `source: {PRECOMPUTED}` "
                                                                   f"features", TABLE_DOC)
