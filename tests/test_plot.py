"""The sorted attribution figures (the paper's Figures 1-4), read back from the drawn figure."""
import numpy as np
import pytest

from figures import bar_heights, drawn, lines_by_label, visible_axes  # noqa: F401 (drawn: a fixture)
from subspace import finetune, plot


def _stats(rng, dim):
    mean = rng.random(dim)
    return {"mean": mean, "std": mean * rng.random(dim)}


def test_mean_panels_show_each_features_attributions_sorted_with_the_threshold_lines(tmp_path, drawn):
    rng = np.random.default_rng(0)
    stats = {f"f{i}": _stats(rng, 8 + i) for i in range(7)}
    paths = [tmp_path / "mean.png", tmp_path / "mean.pdf"]
    plot.sorted_attribution_figure(stats, "mean", "humor", paths, ["mean", "p75"])
    (fig,) = drawn
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (2, 4)  # 4 panels a row at most
    panels = visible_axes(fig)
    assert len(panels) == 7
    for ax, (feature, s) in zip(panels, stats.items()):
        assert ax.get_title() == f"{feature} ({len(s['mean'])} dims)"
        np.testing.assert_array_equal(bar_heights(ax), np.sort(s["mean"])[::-1])
        lines = lines_by_label(ax)
        assert sorted(lines) == ["mean threshold", "p75 threshold"]
        np.testing.assert_allclose(lines["mean threshold"][1], [s["mean"].mean()] * 2)
        np.testing.assert_allclose(lines["p75 threshold"][1], [np.percentile(s["mean"], 75)] * 2)
    assert "humor: mean of Integrated Gradients" in fig._suptitle.get_text()
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:4] == b"%PDF"


def test_std_panels_keep_the_means_order_and_draw_no_threshold(tmp_path, drawn):
    rng = np.random.default_rng(1)
    stats = {"a": _stats(rng, 9), "b": _stats(rng, 5)}
    plot.sorted_attribution_figure(stats, "std", "mimic", [tmp_path / "std.png"])
    (fig,) = drawn
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (1, 2)
    for ax, s in zip(visible_axes(fig), stats.values()):
        heights = bar_heights(ax)
        np.testing.assert_array_equal(heights, s["std"][np.argsort(-s["mean"])])
        assert not (np.diff(heights) <= 0).all(), "the std itself is not sorted: the test would not see a re-sort"
        assert len(ax.lines) == 0 and ax.get_legend() is None


def test_loss_curve_plots_both_losses_per_epoch(tmp_path, drawn):
    history = [{"epoch": e, "train_loss": t, "devel_loss": d, "devel_pearson": 1 - d}
               for e, t, d in ((1, 0.9, 0.95), (2, 0.7, 0.8), (3, 0.5, 0.85))]
    finetune.loss_curve(history, tmp_path / "loss.png", "fine-tuning")
    (fig,) = drawn
    (ax,) = fig.axes
    lines = lines_by_label(ax)
    np.testing.assert_array_equal(lines["train (mean over batches)"][0], [1, 2, 3])
    np.testing.assert_array_equal(lines["train (mean over batches)"][1], [0.9, 0.7, 0.5])
    np.testing.assert_array_equal(lines["devel (whole partition)"][1], [0.95, 0.8, 0.85])
    assert list(ax.get_xticks()) == [1, 2, 3] and ax.get_title() == "fine-tuning"
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("which", ["mean", "std"])
def test_one_feature_is_one_panel(tmp_path, drawn, which):
    stats = {"w2v": {"mean": np.array([0.1, 0.4, 0.2]), "std": np.array([0.3, 0.1, 0.2])}}
    plot.sorted_attribution_figure(stats, which, "humor", [tmp_path / "f.png"])
    (fig,) = drawn
    (ax,) = visible_axes(fig)
    np.testing.assert_array_equal(bar_heights(ax), [0.4, 0.2, 0.1] if which == "mean" else [0.1, 0.2, 0.3])
    assert ax.get_ylabel() == f"{which} of IG attribution"
