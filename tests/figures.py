"""Read back what a figure function drew: the matplotlib Figures it hands to ``save_figure``, so tests
check the plotted values (bar heights, line data, labels) instead of file sizes."""
import numpy as np
import pytest

from subspace import fau, plot


@pytest.fixture
def drawn(monkeypatch):
    """The list of Figures saved during the test, in order; the files are still written."""
    figures = []
    save = plot.save_figure

    def keep(fig, paths):
        figures.append(fig)
        save(fig, paths)

    monkeypatch.setattr(plot, "save_figure", keep)  # plot, evaltables and finetune look it up here
    monkeypatch.setattr(fau, "save_figure", keep)   # fau imported the name itself
    return figures


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def bar_heights(ax) -> np.ndarray:
    """Heights of the bars of the axes' (only) bar chart, left to right."""
    (bars,) = ax.containers
    return np.array([r.get_height() for r in bars])


def bar_widths(ax) -> np.ndarray:
    """Widths of the bars of a horizontal bar chart, in the order they were drawn."""
    (bars,) = ax.containers
    return np.array([r.get_width() for r in bars])


def lines_by_label(ax) -> dict:
    """label -> (x data, y data) of every line of the axes (reference lines included)."""
    return {line.get_label(): (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
            for line in ax.lines}


def errorbars_by_label(ax) -> dict:
    """label -> (x, y, [(low, high)] of each error bar, or None) of every errorbar series of the axes."""
    out = {}
    for container in ax.containers:
        data_line, _, bar_lines = container.lines
        x, y = (np.asarray(v, float) for v in data_line.get_data())
        spans = [(seg[0][1], seg[1][1]) for seg in bar_lines[0].get_segments()] if bar_lines else None
        out[container.get_label()] = (x, y, spans)
    return out
