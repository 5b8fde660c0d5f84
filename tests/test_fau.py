import numpy as np
import pytest

from figures import bar_widths, drawn, lines_by_label, visible_axes  # noqa: F401 (drawn: a fixture)
from subspace import fau
from subspace.demo import FAU_NAMES
from subspace.errors import InputError


def test_every_py_feat_action_unit_has_a_muscle():
    assert sorted(fau.FACS) == sorted(FAU_NAMES) and len(fau.FACS) == 20
    assert fau.FACS["AU05"] == ("upper lid raiser", "levator palpebrae superioris")
    assert fau.FACS["AU12"][1] == "zygomaticus major"
    assert [fau.au_code(n) for n in ("AU05", "AU5_r", "faus_AU12_c", "w2v_3", "AU100")] == \
        ["AU05", "AU05", "AU12", None, None]
    assert fau.is_fau(FAU_NAMES) and not fau.is_fau(["w2v_0", "AU01"])


def test_figure_sorts_each_target_and_the_average(tmp_path, drawn):
    rng = np.random.default_rng(0)
    per_target = rng.random((3, 20))
    per_target[:, FAU_NAMES.index("AU05")] = 5.0  # the paper: upper lid raiser most relevant for all three
    stats = {"mean": per_target.mean(0), "mean_per_target": per_target, "dim_names": list(FAU_NAMES)}
    paths = [tmp_path / "fau.png", tmp_path / "fau.pdf"]
    ranking = fau.fau_figure(stats, ["Approval_", "Disappointment_", "Uncertainty_"], "test", paths)
    assert list(ranking) == ["Approval_", "Disappointment_", "Uncertainty_", "average"]
    for k, target in enumerate(["Approval_", "Disappointment_", "Uncertainty_"]):
        assert ranking[target] == [FAU_NAMES[i] for i in np.argsort(-per_target[k], kind="stable")]
    assert ranking["average"][0] == "AU05"
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:4] == b"%PDF"
    # what is drawn: per panel, each AU's bar (labelled with its muscle) at its value, largest on top, and
    # the panel's mean as the threshold line
    (fig,) = drawn
    panels = visible_axes(fig)
    columns = list(per_target) + [per_target.mean(0)]
    assert [ax.get_title() for ax in panels] == ["Approval", "Disappointment", "Uncertainty", "average over targets"]
    for ax, values, name in zip(panels, columns, ranking):
        drawn_values = dict(zip([t.get_text() for t in ax.get_yticklabels()], bar_widths(ax)))
        assert list(drawn_values) == [fau.au_label(code) for code in ranking[name]]
        assert drawn_values == pytest.approx({fau.au_label(au): v for au, v in zip(FAU_NAMES, values)})
        assert ax.yaxis_inverted() and list(ax.get_yticks()) == list(range(20))  # first in the ranking on top
        np.testing.assert_allclose(lines_by_label(ax)["mean threshold"][0], [values.mean()] * 2)
        assert ax.get_xlabel() == "mean |IG attribution|"


def test_one_target_gets_one_panel_without_a_repeated_average(tmp_path):
    per_target = np.linspace(0.1, 2.0, 20)[None, :]  # a binary task (Humor): one output
    stats = {"mean": per_target[0], "mean_per_target": per_target, "dim_names": list(FAU_NAMES)}
    ranking = fau.fau_figure(stats, ["humor"], "test", [tmp_path / "fau.png"])
    assert list(ranking) == ["humor"] and ranking["humor"] == FAU_NAMES[::-1]


def test_non_au_dimensions_and_wrong_target_count_are_clear_errors(tmp_path):
    stats = {"mean": np.ones(3), "mean_per_target": np.ones((1, 3)), "dim_names": ["w2v_0", "w2v_1", "w2v_2"]}
    with pytest.raises(InputError, match="not FACS action units"):
        fau.fau_figure(stats, ["x"], "t", [tmp_path / "x.png"], source="attr.h5")
    stats = {"mean": np.ones(20), "mean_per_target": np.ones((1, 20)), "dim_names": list(FAU_NAMES)}
    with pytest.raises(InputError, match="1 outputs but the task has 3 targets"):
        fau.fau_figure(stats, ["a", "b", "c"], "t", [tmp_path / "x.png"])
