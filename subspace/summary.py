"""A task's summary: the page a researcher reads first, and the lines the terminal prints at the end of a run.

Built only from what the run wrote: ``full_vs_reduced.csv`` (kept, scores, size, time, collapsed decoders), the
selections (which dimensions), the attribution files (the strip of every dimension's attribution, the input
scale and explained-decoder warnings, per-target attributions), the stores' empty-sample share, and where the
run has them the fusion table and the fine-tuned models' metrics. A section the run has no file for is left out.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from . import reduction, strips
from .atomic import read_json, write_text
from .htmltables import fmt, grid, metric_label, page, read_table, score
from .runs import read_metrics
from .store import read_attributions

EMPTY_SHARE_NOTE = 0.01  # below 1% empty samples are the handful of imputed windows every corpus has
NEAR_CONSTANT_SHARE = 0.5  # a feature with most of its dimensions constant was extracted wrongly (or carries little)
TYPE_WORDS = {"binary": "binary", "regression": "regression", "multiclass": "multi-class"}


def store_empty_share(path) -> tuple[float, int, int]:
    """(share, empty or all-zero samples, samples) from a store's attributes (no feature is read)."""
    with h5py.File(path, "r") as f:
        n = len(f["partition"])
        empty = int(f.attrs.get("empty_segments", 0)) + int(f.attrs.get("zero_samples", 0))
        return float(f.attrs.get("empty_share", empty / max(n, 1))), empty, n


def warnings(df: pd.DataFrame, attributions: dict[str, dict], stores: dict[str, str]) -> list[str]:
    """The sentences a reader must see before any number: decoders that learned nothing, features that are
    (nearly) constant, attributions whose input scales differ (IG multiplies by the input), and features with
    many empty samples."""
    out = reduction.collapse_warnings(df)
    learned_nothing = set(reduction.failed_features(df))
    for feature, stats in attributions.items():
        attrs = stats["attrs"]
        constant = [n for n in str(attrs.get("near_constant_dims", "") or "").split(", ") if n]
        if len(constant) >= NEAR_CONSTANT_SHARE * len(stats["mean"]):
            out.append(f"{feature}: {len(constant)} of {len(stats['mean'])} dimensions are nearly constant over the "
                       "training rows, so the feature carries little; check its extraction.")
        for key in ("scale_warning", "decoder_warning"):
            text = str(attrs.get(key, "") or "").strip()
            if text and not (key == "decoder_warning" and feature in learned_nothing):  # said above already
                out.append(f"{feature}, attributions: {text.rstrip('.')}.")
    for feature, path in stores.items():
        share, empty, n = store_empty_share(path)
        if share > EMPTY_SHARE_NOTE:
            out.append(f"{feature}: {empty} of {n} samples ({share:.1%}) had no feature rows in their window or "
                       "only zeros; the decoder sees a zero sequence for them, so they carry no information.")
    return out


def kept_list(selection: dict) -> str:
    """The kept dimensions in words: index ranges where the names are a prefix plus the index (``w2v_0``, ``12``),
    else the names (AU codes, text features)."""
    kept, names = selection["kept"], selection["kept_names"]
    if not kept:
        return "none"
    prefix = names[0][: len(names[0]) - len(str(kept[0]))] if names else ""
    if all(n == f"{prefix}{i}" for n, i in zip(names, kept)):
        ranges, start = [], kept[0]
        for a, b in zip(kept, kept[1:] + [None]):
            if b != a + 1:
                ranges.append(str(start) if start == a else f"{start}–{a}")
                start = b
        return f"dimensions {', '.join(ranges)}" + (f" (named {prefix}<i>)" if prefix else "")
    return ", ".join(names)


def finetune_rows(finetune: dict[str, list[str]], metric: str) -> tuple[list[str], list[list[str]]]:
    """Per fine-tuned variant: the head's input, seeds, devel (best seed; mean ± std over several), the best seed's
    test score, trainable parameters and training time."""
    rows = []
    for variant, files in finetune.items():
        records = [read_json(p) for p in files if Path(p).exists()]
        if not records:
            continue
        devel = np.array([r["scores"]["devel"] for r in records], dtype=float)
        best = records[int(np.nanargmax(devel))]
        spread = f" <small>({np.nanmean(devel):.4f} ± {np.nanstd(devel):.4f})</small>" if len(records) > 1 else ""
        dims = best.get("n_dims")
        rows.append([escape(variant), "every dimension" if dims is None else f"{dims} kept dimensions",
                     str(len(records)), score(np.nanmax(devel)) + spread, score(best["scores"].get("test")),
                     fmt(best.get("trainable_parameters")), f"{np.mean([r['train_seconds'] for r in records]):.1f} s"])
    m = metric_label(metric)
    return ["variant", "head sees", "seeds", f"devel {m} (best seed; mean ± std)", f"test {m} (best seed)",
            "trainable parameters", "training time"], rows


def fusion_lines(csv_path, metric: str) -> list[str]:
    """Each fusion method's best combination against the best single member, on devel."""
    df = read_table(csv_path)
    out = []
    for method, rows in df.groupby("method", sort=False):
        r = rows.loc[rows["devel"].idxmax()]
        fitted = " (weights fitted on devel: compare on test)" if method == "weighted" else ""
        out.append(f"{method} fusion, best: {r['variants']}: devel {metric_label(metric)} {score(r['devel'])} "
                   f"against {score(r['best_single_devel'])} of its best single member {r['best_single']} "
                   f"({r['devel'] - r['best_single_devel']:+.4f}); test {score(r['test'])} against "
                   f"{score(r['best_single_test'])}{fitted}.")
    return out


def gather(spec: dict) -> dict:
    """Everything the page and the text need, read from the run's files named in the spec."""
    df = read_table(spec["full_vs_reduced"])
    attributions = {f: read_attributions(p["attribution"]) for f, p in spec["features"].items()}
    selections = {f: {t: read_json(path) for t, path in p["selections"].items()} for f, p in spec["features"].items()}
    stores = {f: p["store"] for f, p in spec["features"].items()}
    metric = read_metrics(spec["metrics"]).get("metric")  # what the task's decoders were scored with
    return {"df": df, "attributions": attributions, "selections": selections, "metric": metric,
            "warnings": warnings(df, attributions, stores)}


def _feature_section(feature: str, stats: dict, selections: dict, targets: list[str]) -> str:
    parts = [f"<h3>{escape(feature)}: {len(stats['mean'])} dimensions</h3>",
             strips.attribution_strip(stats["mean"], {t: s["kept"] for t, s in selections.items()},
                                      stats["dim_names"]), "<ul>"]
    for threshold, sel in selections.items():
        parts.append(f"<li><b>{escape(threshold)}</b> threshold keeps {sel['n_kept']} of {sel['n_total']}: "
                     f"{escape(kept_list(sel))}</li>")
    parts.append("</ul>")
    per_target = np.asarray(stats.get("mean_per_target", []))
    if per_target.ndim == 2 and per_target.shape[0] > 1:
        labels = targets if len(targets) == per_target.shape[0] else [f"output {i}" for i in range(len(per_target))]
        parts.append("<p>Per target (each row scaled to its largest value): which dimensions serve which target.</p>"
                     + strips.target_strips(per_target, labels, stats["dim_names"]))
    return "".join(parts)


def summary_html(spec: dict, data: dict) -> str:
    task, metric = spec["task"], data["metric"]
    df = data["df"]
    n = int(df["n_seeds"].min()) if len(df) else 0
    body = [f"<h1>{escape(task)}: which dimensions matter, how much smaller, how good</h1>",
            f"<p class='meta'>{TYPE_WORDS.get(spec['task_type'], spec['task_type'])} task "
            f"({escape(', '.join(spec['targets']))}); metric: {escape(metric_label(metric))}; {n} seed(s) per "
            f"decoder; {len(spec['features'])} feature(s); thresholds: {escape(', '.join(spec['thresholds']))}. "
            "Each feature's decoder is explained with Integrated Gradients; the dimensions above a threshold are "
            "kept and the decoder is retrained on them.</p>"]
    if data["warnings"]:
        body.append("<div class='warnings'><b>Read first</b><ul>"
                    + "".join(f"<li>{escape(w)}</li>" for w in data["warnings"]) + "</ul></div>")
    body += ["<h2>Full vs reduced decoders</h2>", reduction.answer_table(df, metric),
             f"<p class='meta'>All columns: {escape(spec['full_vs_reduced'])} (and the table “full_vs_reduced” "
             "in this report).</p>",
             "<h2>Which dimensions</h2><p>Each bar is one dimension, in the store's order; its height is the mean "
             "|IG attribution| over the training samples. Dark: kept by every threshold; light: kept by some; "
             "grey: dropped. Hover a bar for its name and value.</p>"]
    body += [_feature_section(f, data["attributions"][f], data["selections"][f], spec["targets"])
             for f in spec["features"]]
    if spec.get("fusion"):
        body.append("<h2>Late fusion</h2><ul>" + "".join(f"<li>{escape(line)}</li>"
                                                         for line in fusion_lines(spec["fusion"], metric)) + "</ul>")
    if spec.get("finetune"):
        headers, rows = finetune_rows(spec["finetune"], metric)
        if rows:
            body += ["<h2>Fine-tuned wav2vec 2.0</h2>", grid(headers, rows, text_columns={0})]
    return page(f"{task}: summary", "".join(body))


def summary_text(spec: dict, data: dict, page_path: str) -> str:
    """The terminal's lines: one short table, the warnings, where the page is."""
    df = data["df"]
    n = int(df["n_seeds"].min()) if len(df) else 0
    rows = reduction.text_rows(df)
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    lines = [f"{spec['task']}: devel {metric_label(data['metric'])}, "
             + (f"best of {n} seeds" if n > 1 else "1 seed")]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines += [f"  ! {w}" for w in data["warnings"]]
    lines.append(f"  page: {page_path}")
    return "\n".join(lines) + "\n"


def write_summary(spec: dict, html_path, text_path) -> dict:
    data = gather(spec)
    write_text(html_path, summary_html(spec, data))
    write_text(text_path, summary_text(spec, data, str(html_path)))
    return data
