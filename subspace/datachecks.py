"""Checks on a store's values before anything trains on them: the share of empty samples, and values far
outside their dimension's robust spread. Both readers (CSV features, :mod:`subspace.data`) and raw-media
extraction (:mod:`subspace.embed`) use them, so a store is refused the same way whichever way it was made.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from .config.model import Checks, default
from .csvfile import row_of
from .errors import InputError

# The baseline imputes a few empty windows (a video's last window ending after its media, a gap in face
# detection); a share beyond a few percent means features and labels do not belong together (another time
# unit, a shift, truncated media: the cases left 95% of the windows empty). 5% keeps the handful a real
# dataset has and refuses the mismatches; the limit is configurable for data with many genuinely empty windows.
MAX_EMPTY_SHARE = default(Checks, "max_empty_share")
# A value more than a million robust spreads (median absolute deviations) from its dimension's median is not a
# measurement but a placeholder for a missing one (1e30, -9999 on a 0.01 scale, float max): one such cell in a
# training row multiplies the dimension's std by orders of magnitude and so removes it from the selection.
MAX_ROBUST_DEVIATION = default(Checks, "max_robust_deviation")
EMPTY_CAUSES = ("features in another time unit than the labels (seconds or frames instead of ms), shifted "
                "timestamps, features of another video, or truncated media")


# ------------------------------------------------------------------------------------------ empty samples
def zero_samples(sequences, empty) -> np.ndarray:
    """Samples whose every value is 0 without being an imputed empty window: as empty as a missing one."""
    return np.array([not e and not np.any(s) for s, e in zip(sequences, empty)], dtype=bool)


def allowed_empty(n: int, max_share: float) -> int:
    """How many of ``n`` samples may be empty: the share, rounded down, and at least one (a limit above 0 must
    let a video's one window past the end of its media through, however short the video)."""
    return max(int(max_share > 0), int(np.floor(max_share * n + 1e-9)))


def too_many_empty(n_empty: int, n: int, max_share: float) -> str | None:
    """None when ``n_empty`` of ``n`` is within the limit, else the share and the limit, in words."""
    allowed = allowed_empty(n, max_share)
    if n_empty <= allowed:
        return None
    return f"({n_empty / n:.0%}; max_empty_share {max_share:g} allows {allowed})"


def check_partitions(flags: np.ndarray, partitions: np.ndarray, groups: np.ndarray, where,
                     max_share: float = MAX_EMPTY_SHARE, file_of=None) -> None:
    """Refuse a partition whose share of empty samples (``flags``) is above ``max_share``, naming the videos
    (``file_of(group)``: their files) that hold most of them."""
    for partition in ("train", "devel", "test"):
        mask = np.asarray(partitions == partition)
        share = too_many_empty(int(flags[mask].sum()), int(mask.sum()), max_share)
        if share:
            worst = Counter(np.asarray(groups)[mask & flags]).most_common(3)
            files = ", ".join(f"{file_of(g) if file_of else g} ({k})" for g, k in worst)
            raise InputError(where, f"{int(flags[mask].sum())} of the {int(mask.sum())} {partition} samples are "
                                    f"empty or all-zero vectors {share}: {EMPTY_CAUSES}? Most are in {files}. (If "
                                    f"your data really has that many empty windows, raise max_empty_share.)")


def record_empty(emb, max_share: float = MAX_EMPTY_SHARE, where=None, file_of=None) -> None:
    """Count the imputed and all-zero samples of a store, refuse a partition with too many, and record the
    count and share in the store's attributes (``zero_samples``, ``empty_share``)."""
    zero = zero_samples(emb.sequences, emb.empty)
    flags = np.asarray(emb.empty, bool) | zero
    check_partitions(flags, emb.partitions, emb.groups, where, max_share, file_of)
    emb.attrs.update(zero_samples=int(zero.sum()), empty_share=round(float(flags.mean()), 6) if len(flags) else 0.0)


# ------------------------------------------------------------------------------------------ extreme values
class Extremes:
    """Every dimension's smallest and largest value so far and where each is (a unit: a file or a sample, and a
    row in it), kept in O(dim) memory while files are read; :meth:`check` judges them once the robust spread of
    all the rows is known."""

    def __init__(self):
        self.units: list[tuple] = []       # (path, how to name a row of it)
        self.low = self.high = None        # (dim,) values
        self.low_at = self.high_at = None  # (2, dim): unit index, row

    def add(self, path, rows: np.ndarray, row_name=None) -> None:
        """``rows`` (rows x dims) in their file's order; ``row_name(i)`` names row ``i`` (default: its CSV line)."""
        if not len(rows):
            return
        unit, dims = len(self.units), np.arange(rows.shape[1])
        self.units.append((path, row_name or (lambda i: f"row {row_of(i)}")))
        lo_row, hi_row = rows.argmin(0), rows.argmax(0)
        lo, hi = rows[lo_row, dims].astype(np.float64), rows[hi_row, dims].astype(np.float64)
        if self.low is None:
            self.low, self.high = lo, hi
            self.low_at = np.stack([np.full_like(lo_row, unit), lo_row])
            self.high_at = np.stack([np.full_like(hi_row, unit), hi_row])
            return
        for better, kept, at, found, found_row in ((lo < self.low, self.low, self.low_at, lo, lo_row),
                                                   (hi > self.high, self.high, self.high_at, hi, hi_row)):
            kept[better] = found[better]
            at[0, better], at[1, better] = unit, found_row[better]

    def check(self, center: np.ndarray, spread: np.ndarray, dim_names, max_deviation: float = MAX_ROBUST_DEVIATION):
        """Refuse the value farthest outside its dimension's spread when it is beyond ``max_deviation`` spreads."""
        if self.low is None:
            return
        ratios = np.stack([(self.high - center) / spread, (center - self.low) / spread])
        side, j = np.unravel_index(np.argmax(ratios), ratios.shape)
        if not ratios[side, j] > max_deviation:
            return
        value, (unit, row) = (self.high, self.high_at) if side == 0 else (self.low, self.low_at)
        path, row_name = self.units[unit[j]]
        raise InputError(path, f"value {value[j]:g} ({row_name(int(row[j]))}, column '{dim_names[j]}') lies "
                               f"{ratios[side, j]:.2g} robust spreads from the dimension's median {center[j]:.4g} "
                               f"(spread {spread[j]:.3g}, its median absolute deviation), beyond "
                               f"max_robust_deviation {max_deviation:g}: a placeholder for a missing value (1e30, "
                               f"-9999, a float's maximum)? It would dominate the dimension's mean and std; remove "
                               f"the row or give it a real value")


def robust_spread(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per dimension: the median, and the median absolute deviation from it. A dimension whose MAD is 0 (more than
    half its values equal, as in a sparse or mostly-constant dimension) gets the median deviation of its values
    that differ from the median instead; one with no such value, infinity (nothing can be judged there)."""
    by_dim = np.ascontiguousarray(np.asarray(rows, np.float32).T)  # (a median along the last axis is the fast one)
    center = np.median(by_dim, axis=1)
    deviation = np.abs(by_dim - center[:, None])
    spread = np.median(deviation, axis=1).astype(np.float64)
    for j in np.flatnonzero(spread == 0):
        off = deviation[j][deviation[j] > 0]
        spread[j] = np.median(off) if len(off) else np.inf
    return center.astype(np.float64), spread


def reference_rows(sequences, skip, max_values: int = 2_000_000) -> np.ndarray:
    """The rows of every ``k``-th sample (not imputed) such that about ``max_values`` values (at least 2000 rows)
    are kept: the robust statistics of a deterministic sample (a median of 2000 rows is within ~3% of a standard
    deviation of the whole store's), in bounded time and memory however large the store."""
    kept = [s for s, e in zip(sequences, skip) if not e and len(s)]
    if not kept:
        return np.zeros((0, 0), np.float32)
    max_rows = max(2000, max_values // kept[0].shape[1])
    step = max(1, int(np.ceil(sum(len(s) for s in kept) / max_rows)))
    return np.concatenate(kept[::step])


def check_extremes(extremes: Extremes, sequences, skip, dim_names,
                   max_deviation: float = MAX_ROBUST_DEVIATION) -> None:
    """Judge the extremes of every file or sample against the robust spread of the store's rows."""
    rows = reference_rows(sequences, skip)
    if len(rows):
        extremes.check(*robust_spread(rows), dim_names, max_deviation)


def media_extremes(emb, file_of) -> Extremes:
    """The extremes of every sample of a raw-media store, a row named by the sample and its time."""
    extremes = Extremes()
    for seq, ts, sid, group, empty in zip(emb.sequences, emb.timestamps, emb.sample_ids, emb.groups, emb.empty):
        if not empty:
            extremes.add(Path(str(file_of(group))), seq, lambda i, sid=sid, ts=ts: f"sample '{sid}' at {int(ts[i])} ms")
    return extremes
