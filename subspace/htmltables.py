"""HTML pages for the report: tables that fit the report's frame in a 1400 px window, and the page frame the task
summary shares.

A CSV written for machines is not a table for readers: ``full_vs_reduced.csv`` has 22 columns. The compact view
above each table moves what is the same in every row into one line, merges the columns that belong together
(``x``, ``x_low``, ``x_high`` into one interval; ``x_mean``/``x_std`` into mean ± std; ``full_x``/``reduced_x``
into full → reduced), puts long sentences below the grid as notes, names the metric in the score headers, and
keeps the columns that fit the frame (:data:`FRAME_WIDTH`; identifiers and scores first, the others named).
The full table follows in its own scrolling box, and the CSV itself is embedded as a download.

Only pandas and the standard library: the table jobs run in the plot environment.
"""
from __future__ import annotations

import base64
import itertools
import math
import numbers
import re
from html import escape, unescape
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_text
from .errors import InputError

# The report shows a page in a frame beside its menu: in a 1400 px window the frame is ~950 px wide. The compact
# view keeps the columns whose estimated widths fit this budget (the page's margins and a scroll bar left over).
FRAME_WIDTH = 900
CHAR_PX, CELL_PAD_PX, HEADER_MAX_PX = 7.5, 18, 170  # 14 px sans-serif; th max-width below
LONG_TEXT = 40      # a cell longer than this is a sentence: it becomes a note below the grid
METRIC_NAMES = {"auc": "ROC AUC", "pearson": "mean Pearson r", "ccc": "mean CCC", "uar": "UAR",
                "macro_f1": "macro F1", "accuracy": "accuracy"}  # as metrics.json names them
KEY_NUMBERS = {"k", "seed", "layer", "n_dims"}  # numeric columns that identify a row rather than measure it
PAIRS = (("full_", "reduced_"), ("paper_", "run_"))  # before → after, merged into one column

CSS = ("body{font-family:system-ui,sans-serif;font-size:14px;margin:16px;max-width:1360px;color:#222}"
       "h1{font-size:20px}h2{font-size:16px;margin-top:24px}h3{font-size:14px}"
       "table{border-collapse:collapse;margin:6px 0}th,td{padding:4px 8px;border-bottom:1px solid #ddd;"
       "text-align:right;vertical-align:top;white-space:nowrap}th{background:#f3f3f3;white-space:normal;"
       "max-width:170px}td.text,th.text{text-align:left}td.wrap{white-space:normal}td small{color:#666}"
       "tr.failed td{background:#fde2e2}tr.warn td{background:#fff3d6}"
       ".scroll{overflow-x:auto;max-width:100%;border:1px solid #eee}.meta{color:#555}"
       "ul.warnings li{margin:4px 0}.warnings{background:#fff3d6;border-left:4px solid #e0a000;padding:6px 12px}"
       "details{margin:12px 0}summary{cursor:pointer;font-weight:600}code{font-size:13px}")


def metric_label(metric: str | None) -> str:
    """How a metric reads in a header: 'auc' -> 'ROC AUC'; an unknown metric keeps its name."""
    return METRIC_NAMES.get(metric, metric) if metric else "score"


def fmt(value) -> str:
    """A cell's number for reading: integers with separators, floats to 4 decimals (tiny ones in 3 significant
    digits, so 1e-6 does not read as 0); the CSV keeps full precision."""
    if value is None or value is pd.NA or (isinstance(value, numbers.Real) and math.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if value.is_integer() and abs(value) >= 1000:
            return f"{int(value):,}"
        return f"{value:.3g}" if 0 < abs(value) < 1e-3 or abs(value) >= 1e5 else f"{value:.4f}"
    return str(value)


def score(value) -> str:
    """A score to 4 decimals, also when the CSV wrote it as an integer (an AUC of exactly 1)."""
    return "–" if value is None or pd.isna(value) else f"{float(value):.4f}"


def signed(value) -> str:
    """A difference of scores, with its sign."""
    return "–" if value is None or pd.isna(value) else f"{float(value):+.4f}"


def page(title: str, body: str) -> str:
    """A self-contained HTML page (the report shows it in a frame; a browser opens it on its own)."""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def grid(headers: list[str], rows: list, classes: list[str] | None = None,
         text_columns: set[int] = frozenset()) -> str:
    """An HTML table from already-escaped header and cell HTML. A row given as one string spans every column (a
    note under the row above); ``classes`` colour rows (failed, warn); text columns are left-aligned."""
    def cls(j):
        return " class='text'" if j in text_columns else ""

    def cells(row):
        if isinstance(row, str):
            return f"<td class='text wrap' colspan='{len(headers)}'>{row}</td>"
        return "".join(f"<td{cls(j)}>{c}</td>" for j, c in enumerate(row))
    head = "".join(f"<th{cls(j)}>{h}</th>" for j, h in enumerate(headers))
    body = "".join(f"<tr class='{(classes or [''] * len(rows))[i]}'>{cells(row)}</tr>" for i, row in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def read_table(csv_path) -> pd.DataFrame:
    try:
        return pd.read_csv(csv_path)
    except (OSError, ValueError) as exc:
        raise InputError(csv_path, f"cannot read the table: {exc}") from None


def download_link(csv_path) -> str:
    """The CSV inside the page (a data URI): it travels with the report, also as one HTML file."""
    data = base64.b64encode(Path(csv_path).read_bytes()).decode()
    name = escape(Path(csv_path).name)
    return f"<a download='{name}' href='data:text/csv;base64,{data}'>{name}</a>"


# --- the compact view of any table


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _header(name: str, metric: str) -> str:
    """A column name in words; a score names its metric after its partition ('devel ROC AUC mean'), a
    difference of scores says so ('minus full (Δ ROC AUC)')."""
    tokens = name.split("_")
    if "minus" in tokens or name.endswith("_gain"):
        return f"{' '.join(tokens)} (Δ {metric})"
    if set(tokens) & {"devel", "test"} and not set(tokens) & {"s", "samples", "partition", "units"}:
        i = next(i for i, t in enumerate(tokens) if t in ("devel", "test"))
        tokens[i] = f"{tokens[i]} {metric}"
    return " ".join(tokens)


def _interval(value, low, high) -> str:
    if pd.isna(value):
        return "–"
    if pd.isna(low) or pd.isna(high):
        return f"{value:+.4f} <small>[no interval]</small>"
    mark = "*" if low > 0 or high < 0 else ""
    return f"{value:+.4f}{mark} <small>[{low:+.3f}, {high:+.3f}]</small>"


def column_units(df: pd.DataFrame, metric: str) -> list[dict]:
    """The table's columns as display units: each has a header, its source columns and a cell function.
    Intervals and mean ± std are recognised by the column names the evaluation tables use."""
    cols, used, units = list(df.columns), set(), []
    for c in cols:
        if c in used:
            continue
        base = c[:-5] if c.endswith("_mean") else c
        if f"{c}_low" in df and f"{c}_high" in df:
            src = [c, f"{c}_low", f"{c}_high"]
            units.append({"header": f"{_header(c, metric)} [95% interval]", "src": src,
                          "cell": lambda r, s=src: _interval(r[s[0]], r[s[1]], r[s[2]])})
        elif f"{base}_std" in df and _numeric(df[c]):
            src = [c, f"{base}_std"]
            units.append({"header": f"{_header(base, metric)}, mean ± std", "src": src,
                          "cell": lambda r, s=src: "–" if pd.isna(r[s[0]]) else f"{r[s[0]]:.4f} ± {r[s[1]]:.4f}"})
        else:
            header = _header(c, metric)
            show = (signed if f"(Δ {metric})" in header else score) if metric in header and _numeric(df[c]) else fmt
            units.append({"header": header, "src": [c], "cell": lambda r, c=c, show=show: escape(show(r[c]))})
        used.update(units[-1]["src"])
    return _merge_pairs(units, df, metric)


def _merge_pairs(units: list[dict], df: pd.DataFrame, metric: str) -> list[dict]:
    """full_x and reduced_x (paper_x and run_x), both single numeric columns: one 'x: full → reduced' column."""
    single = {u["src"][0]: u for u in units if len(u["src"]) == 1 and _numeric(df[u["src"][0]])}
    out, dropped = [], set()
    for u in units:
        c = u["src"][0]
        pair = next(((a, b) for a, b in PAIRS if c.startswith(a) and b + c[len(a):] in single), None)
        if u in single.values() and pair:
            other = pair[1] + c[len(pair[0]):]
            dropped.add(other)
            header = f"{_header(c[len(pair[0]):], metric)}: {pair[0][:-1]} → {pair[1][:-1]}"
            show = score if metric in header else fmt
            out.append({"header": header, "src": [c, other],
                        "cell": lambda r, a=c, b=other, show=show: f"{escape(show(r[a]))} → {escape(show(r[b]))}"})
        elif c not in dropped:
            out.append(u)
    return out


def key_columns(df: pd.DataFrame, units: list[dict]) -> list[str]:
    """The columns that name a row: the fewest text columns that tell the rows apart (the leftmost such set), and
    the numeric identifiers (k, seed, ...)."""
    single = [u["src"][0] for u in units if len(u["src"]) == 1]
    numeric = [c for c in single if c in KEY_NUMBERS]
    text = [c for c in single if not _numeric(df[c])]
    for size in range(1, len(text) + 1):
        for keys in itertools.combinations(text, size):
            if not df.duplicated(list(keys) + numeric).any():
                return list(keys) + numeric
    return text + numeric


def column_width(header: str, cells: list[str]) -> float:
    """A column's width in px, estimated from its longest line of text (tags left out) and its header's longest
    word (headers wrap)."""
    lines = [re.sub(r"<[^>]+>", "", line) for cell in cells for line in cell.split("<br>")]
    text = max((len(unescape(line)) for line in lines), default=0)
    word = max((len(w) for w in header.split()), default=0)
    return max(text * CHAR_PX, min(word * CHAR_PX * 1.1, HEADER_MAX_PX)) + CELL_PAD_PX


def _is_score(unit: dict, metric: str) -> bool:
    return metric in unit["header"]


def compact_view(df: pd.DataFrame, metric: str | None) -> dict:
    """What the compact table shows: headers, cells, what every row shares, the notes and the hidden columns."""
    metric = metric_label(metric)
    long_text = [c for c in df.columns if not _numeric(df[c])
                 and df[c].dropna().astype(str).str.len().max() > LONG_TEXT]
    units = column_units(df.drop(columns=long_text), metric)
    # what every row shares goes into one line, except the scores: they are what the table is for
    same = [u for u in units if len(df) > 1 and not _is_score(u, metric)
            and all(df[c].astype(str).nunique(dropna=False) == 1 for c in u["src"])]
    constants = [f"{escape(u['header'])} = {u['cell'](df.iloc[0])}" for u in same]
    units = [u for u in units if u not in same]
    keys = key_columns(df, units)
    # identifiers first, then differences with intervals, scores with their spread, other scores, the rest: what
    # does not fit is named, and is in the full table
    def rank(i):
        u = units[i]
        return (u["src"][0] not in keys or len(u["src"]) > 1, not _is_score(u, metric), -len(u["src"]), i)
    cells = [[u["cell"](r) for u in units] for _, r in df.iterrows()]
    keep, used = [], 0.0
    for i in sorted(range(len(units)), key=rank):  # in priority order until the frame is full
        used += column_width(units[i]["header"], [row[i] for row in cells])
        if used > FRAME_WIDTH and keep:
            break
        keep.append(i)
    keep.sort()
    rows, notes = [[row[i] for i in keep] for row in cells], []
    for c in long_text:
        if len(df) > 1 and df[c].astype(str).nunique(dropna=False) == 1:  # one sentence for every row: once
            notes.append(f"every row — {escape(c.replace('_', ' '))}: {escape(str(df[c].iloc[0]))}")
            continue
        for _, r in df.iterrows():
            if isinstance(r[c], str) and r[c].strip():
                label = ", ".join(str(r[k]) for k in keys)
                notes.append(f"{escape(label)} — {escape(c.replace('_', ' '))}: {escape(r[c])}")
    text = {j for j, i in enumerate(keep) if len(units[i]["src"]) == 1 and not _numeric(df[units[i]["src"][0]])}
    return {"headers": [escape(units[i]["header"]) for i in keep], "rows": rows, "text_columns": text,
            "constants": constants, "notes": notes,
            "hidden": [units[i]["header"] for i in range(len(units)) if i not in keep]}


def compact_html(view: dict) -> str:
    parts = []
    if view["constants"]:
        parts.append("<p class='meta'>The same in every row: " + "; ".join(view["constants"]) + ".</p>")
    parts.append(grid(view["headers"], view["rows"], text_columns=view["text_columns"]))
    if view["notes"]:
        parts.append("<p><b>Notes</b></p><ul>" + "".join(f"<li>{n}</li>" for n in view["notes"]) + "</ul>")
    if view["hidden"]:
        parts.append(f"<p class='meta'>{len(view['hidden'])} more column(s) in the full table below: "
                     + escape(", ".join(view["hidden"])) + ".</p>")
    return "".join(parts)


def full_table(df: pd.DataFrame, csv_path) -> str:
    """Every column as the CSV has it (numbers rounded for reading), in a box that scrolls sideways."""
    rows = [[escape(fmt(v)) for v in r] for r in df.itertuples(index=False)]
    table = grid([escape(c) for c in df.columns], rows, text_columns=set(range(len(df.columns))) - {
        j for j, c in enumerate(df.columns) if _numeric(df[c])})
    return (f"<details><summary>All {len(df.columns)} columns ({escape(Path(csv_path).name)})</summary>"
            f"<div class='scroll'>{table}</div></details>")


def html_table(csv_path, title: str, out_path, note: str = "", metric: str | None = None) -> None:
    """The report's page of a CSV table: the compact view, then the full table and the CSV as a download."""
    from . import reduction  # the full vs reduced table has a view of its own
    df = read_table(csv_path)
    special = reduction.view_for(df, metric)
    compact = special if special is not None else compact_html(compact_view(df, metric))
    body = (f"<h2>{escape(title)}</h2>" + (f"<p>{escape(note)}</p>" if note else "") + compact
            + full_table(df, csv_path) + f"<p class='meta'>Download: {download_link(csv_path)} "
            f"(full precision; at <code>{escape(str(csv_path))}</code> in the results).</p>")
    write_text(out_path, page(title, body))
