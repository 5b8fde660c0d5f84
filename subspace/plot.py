"""Figures: sorted mean attributions per feature (paper Figs. 1/3) and their std (Figs. 2/4)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .atomic import atomic_path  # noqa: E402


MAX_PANELS_PER_ROW = 4  # more features wrap onto further rows


def save_figure(fig, paths) -> None:
    """Each path in its format (by suffix: png, pdf, ...), written atomically; the figure is closed."""
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=str(path).rsplit(".", 1)[-1], dpi=150, bbox_inches="tight")
    plt.close(fig)


def sorted_attribution_figure(attributions: dict[str, dict], which: str, task: str, paths,
                              thresholds=("mean",)) -> None:
    """One panel per feature: dimensions sorted by decreasing mean attribution.

    ``which`` is "mean" or "std"; the std panel keeps the mean's order so the two can be compared.
    """
    features = list(attributions)
    n_cols = min(len(features), MAX_PANELS_PER_ROW)
    n_rows = -(-len(features) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.4 * n_rows), squeeze=False)
    for ax in axes.ravel()[len(features):]:
        ax.set_visible(False)
    for ax, feature in zip(axes.ravel(), features):
        stats = attributions[feature]
        order = np.argsort(-stats["mean"], kind="stable")
        values = stats[which][order]
        ax.bar(np.arange(len(values)), values, width=1.0, color="tab:blue" if which == "mean" else "tab:orange")
        if which == "mean":
            from .select import threshold_value
            for t, style in zip(thresholds, ("--", ":", "-.")):
                ax.axhline(threshold_value(stats["mean"], t), color="k", ls=style, lw=1, label=f"{t} threshold")
            ax.legend(fontsize=7)
        ax.set_title(f"{feature} ({len(values)} dims)")
        ax.set_xlabel("dimension rank (by mean attribution)")
        ax.set_xlim(-0.5, len(values) - 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for row in axes:
        row[0].set_ylabel(f"{which} of IG attribution")
    fig.suptitle(f"{task}: {'mean' if which == 'mean' else 'standard deviation'} of Integrated Gradients "
                 "per dimension, sorted by mean")
    fig.tight_layout()
    save_figure(fig, paths)


TOP_DIMS_PER_CLASS_FIGURE = 30


def class_attribution_figure(attributions: dict[str, dict], task: str, paths, top: int = TOP_DIMS_PER_CLASS_FIGURE):
    """Which dimensions serve which class: one heatmap per feature of a multiclass task, the classes (rows) over
    the ``top`` dimensions by mean attribution (columns), each class's mean IG divided by its largest."""
    import json

    features = list(attributions)
    fig, axes = plt.subplots(len(features), 1, figsize=(max(6.0, 0.28 * top + 2), 0.45 * max(
        len(json.loads(attributions[f]["attrs"].get("classes") or "[]")) for f in features) * len(features) + 1.6),
        squeeze=False)
    for ax, feature in zip(axes[:, 0], features):
        stats = attributions[feature]
        classes = json.loads(stats["attrs"].get("classes") or "[]")
        if not classes:
            raise ValueError(f"{feature}: the attribution file has no classes (not a multiclass decoder)")
        order = np.argsort(-stats["mean"], kind="stable")[:top]
        per_class = np.asarray(stats["mean_per_target"], float)[:, order]
        peak = np.nanmax(per_class, axis=1, keepdims=True)
        image = ax.imshow(per_class / np.where(peak > 0, peak, 1.0), aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_yticks(np.arange(len(classes)), classes, fontsize=8)
        ax.set_xticks(np.arange(len(order)), [stats["dim_names"][i] for i in order], rotation=90, fontsize=6)
        how = "its samples' labelled class" if stats["attrs"].get("multiclass") == "labelled" else "every sample"
        ax.set_title(f"{feature}: mean IG per class (over {how}), top {len(order)} dimensions by mean", fontsize=9)
        fig.colorbar(image, ax=ax, label="/ the class's largest", fraction=0.03)
    fig.suptitle(f"{task}: which dimensions serve which class")
    fig.tight_layout()
    save_figure(fig, paths)
