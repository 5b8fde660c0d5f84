"""Small inline SVG figures for the summary page: every dimension's attribution as one bar, the kept ones coloured,
and per-target rows. Inline SVG needs no image file or plotting library and stays sharp at any zoom."""
from __future__ import annotations

from html import escape

import numpy as np

WIDTH, HEIGHT, ROW = 1000, 70, 16
KEPT_BY_ALL, KEPT_BY_SOME, DROPPED, PER_TARGET = "#1f5fa8", "#8db7e8", "#c8c8c8", "#b05a1f"


def _bars(values: np.ndarray, colors: list[str], titles: list[str], top: float, height: float) -> str:
    """One rect per value, scaled to the row's maximum, bottom-aligned in the band [top, top + height]."""
    width = WIDTH / len(values)
    peak = float(values.max()) or 1.0
    out = []
    for i, (v, color, title) in enumerate(zip(values, colors, titles)):
        h = max(height * float(v) / peak, 0.5)
        out.append(f"<rect x='{i * width:.2f}' y='{top + height - h:.2f}' width='{max(width - 0.3, 0.6):.2f}' "
                   f"height='{h:.2f}' fill='{color}'><title>{escape(title)}</title></rect>")
    return "".join(out)


def attribution_strip(mean, kept: dict[str, list[int]], names: list[str]) -> str:
    """Mean |IG| per dimension in the store's order; dark where every threshold keeps the dimension, light where
    some do, grey where none does."""
    mean = np.asarray(mean, dtype=float)
    sets = {t: set(map(int, k)) for t, k in kept.items()}
    colors, titles = [], []
    for i, v in enumerate(mean):
        by = [t for t, s in sets.items() if i in s]
        colors.append(KEPT_BY_ALL if by and len(by) == len(sets) else KEPT_BY_SOME if by else DROPPED)
        titles.append(f"{i} {names[i]}: {v:.3g}" + (f" (kept: {', '.join(by)})" if by else " (dropped)"))
    return (f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' width='100%' height='{HEIGHT}' preserveAspectRatio='none' "
            f"role='img' aria-label='attribution per dimension'>{_bars(mean, colors, titles, 0, HEIGHT)}</svg>")


def target_strips(per_target, targets: list[str], names: list[str]) -> str:
    """One strip per target: its mean |IG| per dimension divided by its largest value, aligned with the
    feature's strip above it."""
    per_target = np.asarray(per_target, dtype=float)
    rows = []
    for label, values in zip(targets, per_target):
        titles = [f"{label}, {i} {names[i]}: {v:.3g}" for i, v in enumerate(values)]
        rows.append(f"<div class='meta'>{escape(label)}</div><svg viewBox='0 0 {WIDTH} {ROW * 2}' width='100%' "
                    f"height='{ROW * 2}' preserveAspectRatio='none' role='img' aria-label='{escape(label)}'>"
                    f"{_bars(values, [PER_TARGET] * len(values), titles, 0, ROW * 2)}</svg>")
    return "".join(rows)
