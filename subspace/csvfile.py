"""One CSV file, structure before values: every reader of the package reads its CSVs here.

Before a value is looked at, the file must be text (UTF-8, no NUL bytes), have a header line (a first line
that looks like data is named as a missing header), name every column once, and give every row the
header's number of fields (a row with one more, empty field is named as a trailing separator). Only
then are values parsed, so an error names the cause, not a symptom such as a shifted column's
'negative timestamp'. Every problem is an :class:`~subspace.errors.InputError` naming the file.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError

OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def row_of(index: int) -> int:
    """The line of a data row in its CSV file (the header is line 1)."""
    return int(index) + 2


def shown(names: list, n: int = 12) -> str:
    return str(list(names)) if len(names) <= n else f"{list(names)[:n]} … ({len(names)} columns)"


def read_csv(path: Path, required: tuple[str, ...] = (), text=(), dtype=None, sep: str = ",") -> pd.DataFrame:
    """A CSV with named columns; every problem is an :class:`InputError` naming the file.

    ``text`` columns (or ``"all"``) are read as written: no word (``null``, ``NA``, ``None``, ``nan``,
    ``n/a``) becomes a missing value there; other columns use pandas' numeric parsing. Column names
    are stripped of surrounding spaces; a name that appears twice is an error (which one is meant?).
    ``sep``: the separator (a comma; a tab for TSV files).
    """
    path = Path(path)
    raw = read_text_bytes(path)
    header = first_row(path, raw, sep)
    names = [c.strip() for c in header]
    check_header(path, names, required, sep)
    try:
        if text == "all":
            df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, sep=sep)
        else:
            df = pd.read_csv(io.BytesIO(raw), dtype=dtype, sep=sep)
            raw_text = [h for h, c in zip(header, names) if c in text]
            if raw_text:  # a second pass over only these columns costs ~20% of the first, per-column NA sets ~300%
                as_written = pd.read_csv(io.BytesIO(raw), usecols=raw_text, dtype=str, keep_default_na=False, sep=sep)
                for h in raw_text:
                    df[h] = as_written[h]
    except pd.errors.EmptyDataError:
        raise InputError(path, "file is empty") from None
    except UnicodeDecodeError:  # (checked here, not before: a clean file is decoded once, by pandas)
        raise not_utf8(path, raw) from None
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise InputError(path, field_count_problem(raw, len(header), sep) or f"not a readable CSV: "
                                                                             f"{str(exc).strip()}") from None
    # pandas reads rows with one field more than the header by making the first column the index, and fills
    # short rows with NaN, so their last column is missing: both only show here (cheap on a clean file)
    if not isinstance(df.index, pd.RangeIndex) or (len(df.columns) and df.iloc[:, -1].isna().any()):
        problem = field_count_problem(raw, len(header), sep)
        if problem:
            raise InputError(path, problem)
    if len(df.columns) == len(names):
        df.columns = names
    if df.empty:
        raise InputError(path, "file has a header but no rows")
    return df


def read_text_bytes(path: Path) -> bytes:
    """The file's bytes, refused when they are not UTF-8 text (pandas would misread NUL bytes or UTF-16)."""
    if not path.exists():
        raise InputError(path, "file does not exist")
    if path.is_dir():
        raise InputError(path, "is a folder, not a CSV file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc}") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(path, "is UTF-16 text (as some spreadsheet programs save 'Unicode text'): save it as UTF-8 "
                               "CSV")
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        raise InputError(path, f"contains NUL bytes (first at byte {nul}, line {line}): not a text CSV file (binary, "
                               f"corrupt or another encoding?)")
    return raw


def not_utf8(path: Path, raw: bytes) -> InputError:
    """The error for a file that does not decode as UTF-8, with the first bad byte's line."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return InputError(path, f"is not UTF-8 text (byte {exc.start}, line {line}: {exc.reason}): save it as UTF-8 "
                                f"(Latin-1 or Windows-1252 files must be converted)")
    return InputError(path, "is not UTF-8 text")


def first_row(path: Path, raw: bytes, sep: str = ",") -> list[str]:
    first_line = raw.split(b"\n", 1)[0] + b"\n"  # (a quoted name with a line break in it is not a header)
    try:
        header = next(csv.reader(io.StringIO(first_line.decode("utf-8-sig"), newline=""), delimiter=sep), None)
    except UnicodeDecodeError:
        raise not_utf8(path, raw) from None
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV: {exc}") from None
    if not header:
        raise InputError(path, "file is empty")
    return header


def check_header(path: Path, names: list[str], required=(), sep: str = ",") -> None:
    """The header names every column once, with ``sep`` separators; a first line of data is a missing header."""
    if len(names) == 1:
        other = [name for other_sep, name in dict(OTHER_SEPARATORS, **{",": "commas"}).items()
                 if other_sep != sep and other_sep in names[0]]
        if other:
            expected = ("commas (save the file as comma-separated CSV)" if sep == "," else
                        "tabs in a file whose name ends in .tsv (name it .csv if it is comma-separated)")
            raise InputError(path, f"the header '{names[0][:60]}' is one field separated by {other[0]}: the readers "
                                   f"expect {expected}")
    missing = [c for c in required if c not in names]
    reason = missing and looks_like_data(names)
    if reason:
        raise InputError(path, missing_header(names, reason, f"the columns {list(required)}"))
    if len(names) > 1 and not names[-1]:  # (an unnamed first column, a row index pandas wrote, is harmless by name)
        raise InputError(path, f"the header line ends with a separator (an unnamed last column after "
                               f"'{names[-2]}'): remove the trailing separator from every line")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise InputError(path, f"column '{repeated[0]}' appears {names.count(repeated[0])} times: which one is "
                               f"meant is ambiguous (columns found: {shown(names)})")
    if missing:
        raise InputError(path, f"missing columns {missing} (columns found: {shown(names)})")


def looks_like_data(names: list[str], values_of_data=()) -> str | None:
    """Why a header line looks like a row of data (a cell that is a number, or one of ``values_of_data``), or None."""
    for name in names:
        if name in values_of_data:
            return f"'{name}' is a value, not a column name"
        try:
            number = float(name.strip('"'))
        except ValueError:
            continue
        if np.isfinite(number):
            return f"'{name}' is a number, not a column name"
    return None


def missing_header(names: list[str], reason: str, expected: str) -> str:
    return (f"the first line ({','.join(names)[:80]}) looks like data, not a header ({reason}): is the header "
            f"line missing? Without it, the first row would be read as the column names; add a header with "
            f"{expected}")


def field_count_problem(raw: bytes, n_header: int, sep: str = ",") -> str | None:
    """The first row whose number of fields differs from the header's, described; None when every row agrees."""
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=sep)
    next(reader, None)
    bad, first = 0, None
    try:
        for row in reader:
            if row and len(row) != n_header:  # (pandas skips blank lines)
                bad += 1
                first = first or (reader.line_num, row)
    except csv.Error as exc:
        return f"not a readable CSV (line {reader.line_num}): {exc}"
    if first is None:
        return None
    line, row = first
    where = f"row {line} has {len(row)} fields, the header {n_header}"
    many = f" ({bad} such rows)" if bad > 1 else ""
    if len(row) == n_header + 1 and not row[-1].strip():
        return (f"{where}: a trailing separator at the end of the line{many}; it would shift every column. Remove "
                f"the trailing separators (or name the last column in the header)")
    if len(row) < n_header and bad == 1 and line == reader.line_num and not raw.endswith((b"\n", b"\r")):
        return f"{where}: the file ends in the middle of its last row (truncated?)"
    if len(row) < n_header:
        return f"{where}{many}: a missing value still needs its separator (write ',,' for an empty cell)"
    return f"{where}{many}: a separator inside an unquoted value, or a column missing from the header?"


def text_column(df: pd.DataFrame, column: str, path: Path | None = None) -> pd.Series:
    """Ids as written, without surrounding spaces or quotes (``"00042"`` stays ``00042``), in Unicode NFC.

    NFC: the same name typed on macOS (decomposed) and elsewhere (composed) is then the same id. A cell
    holding a line break is an error when ``path`` is given: an unmatched quote joined lines into it.
    """
    values = df[column].astype(str).str.strip().str.strip('"')
    broken = values.str.contains("\n|\r", regex=True).to_numpy()
    if path is not None and broken.any():
        i = int(np.argmax(broken))
        start = " ⏎ ".join(values.iloc[i].splitlines())[:50]
        raise InputError(path, f"the value in row {row_of(i)}, column '{column}' spans several lines ('{start}…'): "
                               f"an unmatched quote (\") joins the rows after it")
    return values.map(nfc)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def numeric_column(df: pd.DataFrame, column: str, path: Path, what: str) -> np.ndarray:
    """float64 values of one column (missing cells are NaN); a cell that is not a number is an error."""
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(np.float64)
    bad = np.isnan(values) & df[column].notna().to_numpy() & (df[column].astype(str).str.strip() != "").to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(path, f"non-numeric {what} '{df[column].iloc[i]}' (row {row_of(i)}, column '{column}')")
    return values
