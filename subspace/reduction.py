"""The answer of a run, per feature and threshold, from ``full_vs_reduced.csv``: the dimensions kept, the score
full → reduced (metric named), the parameters and training time saved, and the decoders that learned nothing.

The table page, the task's summary page and the terminal summary all show these rows the same way.
"""
from __future__ import annotations

from html import escape

import pandas as pd

from .htmltables import fmt, grid, metric_label, score

COLUMNS = ("feature", "threshold", "kept_dims", "total_dims", "full_best", "reduced_best", "full_test",
           "reduced_test", "full_parameters", "reduced_parameters", "full_train_s", "reduced_train_s", "n_seeds")


def is_reduction_table(df: pd.DataFrame) -> bool:
    return set(COLUMNS) <= set(df.columns)


def _collapsed(r, variant: str) -> int:
    value = r.get(f"{variant}_collapsed_seeds", 0)
    return 0 if pd.isna(value) else int(value)


def row_state(r) -> str:
    """'failed' when every seed of the full or the reduced decoder learned nothing, 'warn' when some did."""
    counts = [_collapsed(r, v) for v in ("full", "reduced")]
    if any(c and c >= int(r["n_seeds"]) for c in counts):
        return "failed"
    return "warn" if any(counts) else ""


def collapsed_decoders(df: pd.DataFrame) -> dict[str, dict[str, int]]:
    """feature -> {variant ('full' or a threshold): seeds whose devel predictions were nearly constant}."""
    out: dict[str, dict[str, int]] = {}
    for _, r in df.iterrows():
        for variant, name in (("full", "full"), ("reduced", str(r["threshold"]))):
            if _collapsed(r, variant):
                out.setdefault(str(r["feature"]), {})[name] = _collapsed(r, variant)
    return out


def failed_features(df: pd.DataFrame) -> list[str]:
    """The features whose full decoder learned nothing in every seed: their selection means nothing."""
    n = dict(zip(df["feature"].astype(str), df["n_seeds"].astype(int)))
    return [f for f, counts in collapsed_decoders(df).items() if counts.get("full", 0) >= n[f]]


def collapse_warnings(df: pd.DataFrame) -> list[str]:
    """One plain sentence per feature with decoders whose devel predictions were nearly constant."""
    n = dict(zip(df["feature"].astype(str), df["n_seeds"].astype(int)))
    failed, out = failed_features(df), []
    for feature, counts in collapsed_decoders(df).items():
        which = "; ".join(f"{variant}: {'every seed' if c >= n[feature] else f'{c} of {n[feature]} seeds'}"
                          for variant, c in counts.items())
        meaning = ("its scores, and the selection made from its attributions, mean nothing" if feature in failed
                   else "the scores of these decoders mean little")
        out.append(f"{feature}: decoders learned nothing beyond the label prior (nearly constant devel predictions; "
                   f"{which}): {meaning}. See the training logs.")
    return out


def _change(before: float, after: float, unit: str = "") -> str:
    if pd.isna(before) or pd.isna(after) or not before:
        return ""
    return f" <small>({100 * (after / before - 1):+.0f}%{unit})</small>"


def _score_pair(r, a: str, b: str) -> str:
    if pd.isna(r[a]) and pd.isna(r[b]):
        return "–"
    delta = "" if pd.isna(r[a]) or pd.isna(r[b]) else f" <small>({r[b] - r[a]:+.4f})</small>"
    return f"{score(r[a])} → {score(r[b])}{delta}"


def _warning(r) -> str:
    parts = []
    for variant in ("full", "reduced"):
        count = _collapsed(r, variant)
        if count:
            n = int(r["n_seeds"])
            name = "full decoder" if variant == "full" else f"decoder on the {r['threshold']} selection"
            parts.append(f"{name}: {'every seed' if count >= n else f'{count} of {n} seeds'}")
    return "⚠ learned nothing (nearly constant devel predictions): " + escape("; ".join(parts))


def answer_rows(df: pd.DataFrame, metric: str | None) -> tuple[list[str], list, list[str]]:
    """Headers, rows (cells as HTML; a decoder that learned nothing gets a full-width line under its row) and row
    classes of the compact full vs reduced table: six columns, so it fits the report's frame."""
    m = metric_label(metric)
    spread = len(df) and int(df["n_seeds"].min()) > 1 and {"full_mean", "full_std", "reduced_mean",
                                                              "reduced_std"} <= set(df)
    headers = ["feature", "threshold", "kept", f"devel {m}: full → reduced", f"test {m}: full → reduced",
               "parameters, training time: full → reduced"]
    rows, classes = [], []
    for _, r in df.iterrows():
        devel = _score_pair(r, "full_best", "reduced_best")
        if spread:
            devel += (f"<br><small>{r['full_mean']:.3f} ± {r['full_std']:.3f} → "
                      f"{r['reduced_mean']:.3f} ± {r['reduced_std']:.3f}</small>")
        rows.append([escape(str(r["feature"])), escape(str(r["threshold"])),
                     f"{int(r['kept_dims'])} of {int(r['total_dims'])}<br><small>"
                     f"({100 * r['kept_dims'] / r['total_dims']:.0f}%)</small>",
                     devel, _score_pair(r, "full_test", "reduced_test"),
                     f"{fmt(int(r['full_parameters']))} → {fmt(int(r['reduced_parameters']))}"
                     + _change(r["full_parameters"], r["reduced_parameters"])
                     + f"<br>{r['full_train_s']:.1f} s → {r['reduced_train_s']:.1f} s"
                     + _change(r["full_train_s"], r["reduced_train_s"])])
        classes.append(row_state(r))
        if row_state(r):
            rows.append(_warning(r))
            classes.append(row_state(r))
    return headers, rows, classes


def about(df: pd.DataFrame) -> str:
    """What the numbers of the compact table are, in one line above it."""
    n = int(df["n_seeds"].min()) if len(df) else 0
    if n > 1:
        return (f"Devel: the best of the {n} seeds, below it mean ± std over the seeds; test: the test score of the "
                "best devel seed. Parameters and training time (per seed) in the last column.")
    return "One seed: its devel and test scores. Parameters and training time in the last column."


def answer_table(df: pd.DataFrame, metric: str | None) -> str:
    headers, rows, classes = answer_rows(df, metric)
    return f"<p class='meta'>{escape(about(df))}</p>" + grid(headers, rows, classes, text_columns={0, 1})


def view_for(df: pd.DataFrame, metric: str | None) -> str | None:
    """The compact view of a full vs reduced table (None for other tables): the answer rows, with the decoders
    that learned nothing named above them."""
    if not is_reduction_table(df):
        return None
    warnings = collapse_warnings(df)
    listed = ("<ul class='warnings'>" + "".join(f"<li>{escape(w)}</li>" for w in warnings) + "</ul>"
              if warnings else "")
    return listed + answer_table(df, metric)


def text_rows(df: pd.DataFrame) -> list[list[str]]:
    """The terminal's rows: feature, threshold, kept, devel full → reduced, parameters saved, a flag."""
    rows = [["feature", "threshold", "kept", "devel full → reduced", "parameters", ""]]
    for _, r in df.iterrows():
        state = row_state(r)
        rows.append([str(r["feature"]), str(r["threshold"]), f"{int(r['kept_dims'])}/{int(r['total_dims'])}",
                     f"{score(r['full_best'])} → {score(r['reduced_best'])}",
                     f"{100 * (r['reduced_parameters'] / r['full_parameters'] - 1):+.0f}%",
                     {"failed": "LEARNED NOTHING", "warn": "some seeds learned nothing"}.get(state, "")])
    return rows
