import json

import numpy as np
import pandas as pd
import pytest
import torch

from figures import drawn, errorbars_by_label, lines_by_label, visible_axes  # noqa: F401 (drawn: a fixture)
from subspace import bootstrap, evaltables, holdtables, htmltables
from subspace.atomic import write_csv
from subspace.decoder import Decoder, DecoderConfig
from subspace.evaluate import (gradient_attributions, jaccard, pairwise_jaccard, random_dims, random_order,
                               rank_order, ranking_record, resolve_k, selected_by_order, top_k)


def tiny_model(n_targets=1, d_in=5, bidirectional=False):
    torch.manual_seed(0)
    return Decoder(DecoderConfig(d_in=d_in, n_targets=n_targets, model_dim=6, rnn_layers=2,
                                 bidirectional=bidirectional, d_fc_out=4)).eval()


def test_jaccard_on_known_sets():
    assert jaccard([1, 2, 3], [2, 3, 4]) == pytest.approx(2 / 4)
    assert jaccard([1, 2], [1, 2]) == 1.0
    assert jaccard([1, 2], [3]) == 0.0
    assert jaccard([], []) == 1.0
    assert jaccard(np.array([5, 7]), [7]) == 0.5
    stats = pairwise_jaccard([[1, 2, 3], [2, 3, 4], [1, 2, 3]])
    assert stats["pairs"] == pytest.approx([0.5, 1.0, 0.5])
    assert stats["mean"] == pytest.approx(2 / 3) and stats["min"] == 0.5 and stats["n_pairs"] == 3
    assert stats["std"] == pytest.approx(np.std([0.5, 1.0, 0.5]))
    with pytest.raises(ValueError, match="at least 2"):
        pairwise_jaccard([[1]])


def test_top_k_picks_the_k_largest():
    scores = np.array([0.1, 0.9, 0.3, 0.9, 0.05, 0.5])
    assert top_k(scores, 1).tolist() == [1]  # tie: the lower index first
    assert top_k(scores, 3).tolist() == [1, 3, 5]
    assert top_k(scores, 6).tolist() == list(range(6))
    assert rank_order(scores).tolist() == [1, 3, 5, 2, 0, 4]
    assert selected_by_order(rank_order(scores), 4) == [1, 2, 3, 5]
    with pytest.raises(ValueError):
        top_k(scores, 0)
    with pytest.raises(ValueError):
        top_k(scores, 7)
    with pytest.raises(ValueError, match="finite"):
        rank_order([0.1, np.nan])


def test_random_control_is_reproducible_nested_and_seed_dependent():
    a, b = random_dims(100, 10, seed=0), random_dims(100, 10, seed=0)
    assert a.tolist() == b.tolist()
    assert len(set(a.tolist())) == 10 and a.min() >= 0 and a.max() < 100 and (np.diff(a) > 0).all()
    assert random_dims(100, 10, seed=1).tolist() != a.tolist()
    assert set(a.tolist()) <= set(random_dims(100, 30, seed=0).tolist())  # nested like top-k
    assert sorted(random_order(100, 0).tolist()) == list(range(100))
    # over many seeds every dimension is picked about equally often (a uniform control)
    counts = np.bincount(np.concatenate([random_dims(20, 5, s) for s in range(2000)]), minlength=20)
    assert counts.min() > 400 and counts.max() < 600  # expected 500 each
    with pytest.raises(ValueError):
        random_dims(5, 6, seed=0)


def test_resolve_k_fractions_and_counts():
    assert resolve_k(0.1, 128) == 13 and resolve_k(0.5, 20) == 10
    assert resolve_k(0.01, 20) == 1  # at least one dimension
    assert resolve_k(12, 24) == 12 and resolve_k(1, 5) == 1
    for bad in (0, -1, 1.5, 25, True):
        with pytest.raises(ValueError):
            resolve_k(bad, 24)


def hand_gradient_stats(model, seqs, target, times_input):
    """Mean |grad| (or |x * grad|) over valid cells of one output, with plain autograd per sample."""
    cells = []
    for s in seqs:
        x = torch.as_tensor(s)[None].clone().requires_grad_(True)
        out = model(x, torch.tensor([len(s)]))[0, target]
        (grad,) = torch.autograd.grad(out, x)
        value = grad[0] * x[0] if times_input else grad[0]
        cells.append(value.abs().detach().numpy())
    return np.concatenate(cells).mean(0)


@pytest.mark.parametrize("method,times_input", [("saliency", False), ("input_x_gradient", True)])
@pytest.mark.parametrize("n_targets,bidirectional", [(1, False), (3, True)])
def test_gradient_rankings_match_a_hand_computation(method, times_input, n_targets, bidirectional):
    model = tiny_model(n_targets, bidirectional=bidirectional)
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (3, 1, 4, 2, 5)]
    stats = gradient_attributions(model, seqs, method, batch_size=2)  # batches of padded sequences
    hand = np.array([hand_gradient_stats(model, seqs, k, times_input) for k in range(n_targets)])
    np.testing.assert_allclose(stats["mean_per_target"], hand, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(stats["mean"], hand.mean(0), rtol=1e-5, atol=1e-8)
    assert ranking_record(method, scores=stats["mean"])["order"] == rank_order(hand.mean(0)).tolist()


def test_gradient_attributions_reject_unknown_method():
    with pytest.raises(ValueError, match="unknown gradient method"):
        gradient_attributions(tiny_model(), [np.zeros((2, 5), np.float32)], "deeplift")


def test_input_x_gradient_of_a_linear_model_is_weight_times_input():
    class Linear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cfg = DecoderConfig(d_in=3, n_targets=1)
            self.w = torch.tensor([2.0, -1.0, 0.5])

        def forward(self, x, lengths):  # sum over valid steps of w . x
            mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).float()
            return ((x * self.w).sum(-1) * mask).sum(1, keepdim=True)

    seqs = [np.array([[1, 1, 1], [2, 0, -2]], np.float32), np.array([[-1, 3, 4]], np.float32)]
    sal = gradient_attributions(Linear(), seqs, "saliency")
    ixg = gradient_attributions(Linear(), seqs, "input_x_gradient")
    np.testing.assert_allclose(sal["mean"], [2.0, 1.0, 0.5])
    x = np.concatenate(seqs)
    np.testing.assert_allclose(ixg["mean"], np.abs(x * [2.0, -1.0, 0.5]).mean(0))


def test_stability_table_from_seed_attributions(tmp_path):
    path = tmp_path / "w2v.json"
    means = [[5, 4, 3, 0, 0, 0], [5, 0, 4, 3, 0, 0], [5, 4, 3, 0, 0, 0]]  # mean 2 keeps the three > 2
    path.write_text(json.dumps({"mean": means}))
    df = holdtables.stability_table({"w2v": str(path)}, ["mean"])
    row = df.iloc[0]
    assert row.n_seeds == 3 and row.kept_min == row.kept_max == 3 and row.total_dims == 6
    assert row.kept_by_all == 2 and row.kept_by_any == 4
    assert row.jaccard_mean == pytest.approx((0.5 + 1.0 + 0.5) / 3) and row.jaccard_min == 0.5
    md = holdtables.stability_markdown(df, "t")
    assert "| w2v | mean | 3 | 3–3 / 6 | 2 / 4 | 0.667 ± 0.236 | 0.500 |" in md


def test_topk_table_and_figure(tmp_path):
    full = []
    for s, score in ((1, 0.8), (2, 0.9)):
        p = tmp_path / f"full{s}.json"
        p.write_text(json.dumps({"scores": {"devel": score}}))
        full.append(str(p))
    records = {}
    for method, scores in (("ig", (0.85, 0.9)), ("random", (0.6, 0.7))):
        p = tmp_path / f"{method}.json"
        p.write_text(json.dumps({"method": method, "seed": 1, "dim": 10, "results": [
            {"k": 0.2, "n_dims": 2, "scores": {"devel": scores[0], "test": 0.5}, "parameters": 10,
             "train_seconds": 1.0},
            {"k": 5, "n_dims": 5, "scores": {"devel": scores[1], "test": 0.5}, "parameters": 20,
             "train_seconds": 1.0}]}))
        records[method] = [str(p)]
    df = evaltables.topk_table(records, full)
    assert df[["method", "k"]].values.tolist() == [["ig", 2], ["ig", 5], ["random", 2], ["random", 5]]
    assert df.devel_mean.tolist() == [0.85, 0.9, 0.6, 0.7] and np.allclose(df.full_devel_mean, 0.85)
    assert df.fraction.tolist() == [0.2, 0.5, 0.2, 0.5]
    md = evaltables.topk_markdown(df, "t", "auc")
    assert "| 2 (20%) | 0.8500 | 0.6000 |" in md and "± 0.0000" not in md  # one seed: no spread to show
    paths = [tmp_path / "f.png", tmp_path / "f.pdf"]
    evaltables.topk_figure(df, "t", "auc", paths)
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and paths[1].read_bytes()[:4] == b"%PDF"
    write_csv(tmp_path / "t.csv", df)
    htmltables.html_table(tmp_path / "t.csv", "a <title>", tmp_path / "t.html")
    html = (tmp_path / "t.html").read_text()
    assert "a &lt;title&gt;" in html and "<td class='text'>ig</td>" in html and "0.8500" in html


@pytest.mark.parametrize("old,new,expected", [
    ("features: {humor: [w2v]}, k:", "features: {humor: [vit]}, k:", "evaluation.features.humor: ['vit'] are not features"),
    ("k: [0.25, 12]", "k: [0.25, 1.5]", "1.5"),
    ("methods: [ig, random,", "methods: [ig, lime,", "lime"),
    ("seeds: 1,\n", "seeds: 3,\n", "evaluation.seeds: 3 is more than the 2 seeds"),
    ("stability: true}", "stability: {mimic: [vit]}}", "evaluation.stability.mimic: ['vit'] are not features"),
    ("stability: true}", "stability: true, cross_task: [[humor:w2v, mimic:w2v]]}",
     "humor:w2v has 24 dimensions but mimic:w2v has 16"),
    ("stability: true}", "stability: true, cross_task: [[humor:w2v, mimic:vit]]}", "'mimic:vit' is not task:feature"),
    ("control: true,", "control: {humor: [faus-raw]},",
     "evaluation.control.humor: ['faus-raw'] have no top-k sweep: add them to evaluation.features.humor"),
], ids=["unknown feature", "k not a fraction or count", "unknown method", "too many seeds", "unknown stability feature",
        "cross-task dims differ", "cross-task unknown feature", "control feature without a sweep"])
def test_evaluation_config_mistakes_fail_before_any_job(tmp_path, old, new, expected):
    import subprocess
    import sys

    from conftest import ROOT, TINY
    text = TINY.read_text()
    assert old in text
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text.replace(old, new))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(tmp_path), "--configfile", str(cfg), "--cores", "1", "-n"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and expected in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-3000:]
    assert not (tmp_path / "results").exists()


# --- issue 15: statistical rankings, bootstrap intervals, scale warning, cross-task sub-spaces ---


def planted_sequences(n=400, dim=10, seed=0):
    """Dimension 2 shifts its mean with the label, dimension 5 its std; the rest is noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(float)
    seqs = []
    for label in y:
        s = rng.standard_normal((int(rng.integers(3, 7)), dim))
        s[:, 2] += 1.0 * label
        s[:, 5] *= 1.0 + 2.0 * label
        seqs.append(s.astype(np.float32))
    return seqs, y[:, None]


def test_window_statistics_are_each_samples_mean_then_std():
    from subspace.statistical import window_statistics
    seqs = [np.array([[1.0, 2.0], [3.0, 6.0]]), np.array([[5.0, -1.0]])]
    assert window_statistics(seqs).tolist() == [[2.0, 4.0, 1.0, 2.0], [5.0, -1.0, 0.0, 0.0]]


def test_univariate_scores_match_sklearn_and_scipy_directly():
    from scipy.stats import pearsonr
    from sklearn.metrics import roc_auc_score

    from subspace.statistical import univariate_scores
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((60, 3)), rng.integers(0, 2, 60).astype(float)
    x[:, 1] -= 2 * y  # falls with the label: direction-free score
    expected = [abs(roc_auc_score(y, x[:, j]) - 0.5) for j in range(3)]
    assert univariate_scores(x, y[:, None], "binary") == pytest.approx(expected)
    assert univariate_scores(x, y[:, None], "binary")[1] > 0.3
    targets = rng.standard_normal((60, 2))
    expected = [np.mean([abs(pearsonr(x[:, j], targets[:, t])[0]) for t in range(2)]) for j in range(3)]
    assert univariate_scores(x, targets, "regression") == pytest.approx(expected)
    x[:, 2] = 1.0  # a constant column has no correlation
    assert univariate_scores(x, targets, "regression")[2] == 0.0


@pytest.mark.parametrize("method,found", [("mean_score", {2}), ("std_score", {5}), ("mutual_info", {2, 5}),
                                          ("l1_linear", {2, 5})])
def test_statistical_rankings_find_the_planted_dimensions_whatever_their_scale(method, found):
    from subspace.statistical import statistical_scores
    seqs, y = planted_sequences()
    scores = statistical_scores(method, seqs, y, "binary", seed=0)
    assert set(top_k(scores, len(found)).tolist()) == found
    assert statistical_scores(method, seqs, y, "binary", seed=0).tolist() == scores.tolist()  # deterministic
    scaled = [s * np.array([100.0, 1, 1, 0.01, 1, 1, 1, 1, 1, 1], dtype=np.float32) for s in seqs]
    assert set(top_k(statistical_scores(method, scaled, y, "binary", seed=0), len(found)).tolist()) == found


def test_statistical_rankings_for_regression_average_over_targets():
    from subspace.statistical import statistical_scores
    rng = np.random.default_rng(2)
    y = rng.random((300, 2))
    seqs = []
    for target in y:
        s = rng.standard_normal((4, 8))
        s[:, 1] += 3 * target[0]
        s[:, 6] += 3 * target[1]
        seqs.append(s)
    for method in ("mean_score", "mutual_info", "l1_linear"):
        assert set(top_k(statistical_scores(method, seqs, y, "regression", seed=0), 2).tolist()) == {1, 6}
    with pytest.raises(ValueError, match="unknown statistical method"):
        statistical_scores("lime", seqs, y, "regression")


def test_input_scale_warns_on_scales_spanning_more_than_100x_and_not_when_normalised():
    from subspace.evaluate import input_scale
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((5, 4)) * np.array([100.0, 1.0, 0.01, 1.0]) for _ in range(50)]
    for s in seqs:
        s[:, 3] = 7.0  # a constant dimension (std 0) does not count
    scale = input_scale(seqs)
    std = np.concatenate(seqs).std(0)
    assert [scale["input_std_min"], scale["input_std_max"]] == pytest.approx([std[:3].min(), std.max()], rel=1e-9)
    assert scale["input_std_ratio"] == pytest.approx(1e4, rel=0.2) and "normalise: true" in scale["scale_warning"]
    rows = np.concatenate(seqs)
    mean, std = rows.mean(0), np.where(rows.std(0) > 0, rows.std(0), 1.0)
    normalised = input_scale([(s - mean) / std for s in seqs])
    assert normalised["scale_warning"] == "" and normalised["input_std_ratio"] == pytest.approx(1.0)
    fifty = input_scale([rng.standard_normal((5, 2)) * np.array([50.0, 1.0]) for _ in range(50)])
    assert fifty["scale_warning"] == "" and 30 < fifty["input_std_ratio"] < 80  # within 100x: no warning


def test_attribute_command_records_the_scale_warning(tmp_path, caplog):
    from subspace import cli, store, train
    from subspace.store import Embeddings
    rng = np.random.default_rng(0)
    seqs = [(rng.standard_normal((4, 6)) * np.array([100.0, 1, 1, 1, 0.01, 1])).astype(np.float32) for _ in range(40)]
    parts = np.array(["train"] * 24 + ["devel"] * 8 + ["test"] * 8)
    emb = Embeddings(seqs, [np.arange(4) * 500] * 40, np.array([f"s{i:02d}" for i in range(40)]), parts,
                     rng.integers(0, 2, (40, 1)).astype(np.float32), [f"d{i}" for i in range(6)])
    store.write_embeddings(tmp_path / "e.h5", emb)
    cfg = train.TrainConfig(task_type="binary", max_epochs=1, seed=1)
    train.run(emb, {"model_dim": 4, "rnn_layers": 1, "d_fc_out": 4}, cfg, tmp_path / "m")
    spec = json.dumps({"n_steps": 4, "batch_size": 16})
    with caplog.at_level("WARNING"):
        assert cli.main(["attribute", "--embeddings", str(tmp_path / "e.h5"), "--model-dirs", str(tmp_path / "m"),
                         "--spec", spec, "--out", str(tmp_path / "a.h5")]) == 0
    attrs = store.read_attributions(tmp_path / "a.h5")["attrs"]
    assert attrs["input_std_ratio"] > 1e3 and "spans" in attrs["scale_warning"]
    assert any("Integrated Gradients multiplies by the input" in r.getMessage() for r in caplog.records)
    df = holdtables.attribution_checks_table({"w2v": str(tmp_path / "a.h5")})
    assert df.scale_warning.iloc[0] == attrs["scale_warning"]
    assert "| w2v | 24 |" in holdtables.attribution_checks_markdown(df, "t")


def direct_bootstrap(task_type, y, pa, pb, idx):
    from subspace.metrics import score
    from subspace.targets import metric_of
    metric = metric_of({"type": task_type})
    return np.array([score(metric, y[i], pa[i]) - score(metric, y[i], pb[i]) for i in idx])


@pytest.mark.parametrize("task_type", ["binary", "regression"])
def test_bootstrap_interval_equals_a_direct_computation(tmp_path, task_type):
    rng = np.random.default_rng(3)
    n, targets = 30, (["humor"] if task_type == "binary" else ["a", "b"])
    metric = "auc" if task_type == "binary" else "pearson"
    y = (rng.integers(0, 2, (n, 1)) if task_type == "binary" else rng.standard_normal((n, 2))).astype(float)
    pa = np.round(y + rng.standard_normal(y.shape), 1)  # rounded: tied predictions
    pb = np.round(y + 2 * rng.standard_normal(y.shape), 1)
    paths = []
    for name, pred in (("a", pa), ("b", pb)):
        rows = {"sample_id": [f"s{i:02d}" for i in range(n)], "partition": "test"}
        for k, t in enumerate(targets):
            rows[f"label_{t}"], rows[f"pred_{t}"] = y[:, k], pred[:, k]
        df = __import__("pandas").DataFrame(rows)
        df = df.iloc[::-1]  # row order does not matter: aligned by sample id
        extra = df.assign(partition="devel")
        write_csv(tmp_path / f"{name}.csv", __import__("pandas").concat([extra, df]), float_format=None)
        paths.append(str(tmp_path / f"{name}.csv"))
    idx = bootstrap.bootstrap_indices(n, 200, seed=0)
    direct = direct_bootstrap(task_type, y, pa, pb, idx)
    assert bootstrap.resampled_scores(metric, y, pa, idx) - bootstrap.resampled_scores(metric, y, pb, idx) \
        == pytest.approx(direct, abs=1e-10)
    ci = bootstrap.paired_difference(metric, [tuple(paths)], n_resamples=200, seed=0)
    from subspace.metrics import score
    assert ci["delta"] == pytest.approx(score(metric, y, pa) - score(metric, y, pb))
    assert [ci["low"], ci["high"]] == pytest.approx(np.percentile(direct, [2.5, 97.5]))
    assert ci["partition"] == "test" and ci["n_samples"] == n and ci["low"] < ci["delta"] < ci["high"]
    assert bootstrap.paired_difference(metric, [tuple(paths)], 200, 0) == ci  # seeded: deterministic
    # two seeds: the interval of the seed-averaged difference; a model against itself is exactly 0
    same = bootstrap.paired_difference(metric, [(paths[0], paths[0]), (paths[1], paths[1])], 200, 0)
    assert same["delta"] == same["low"] == same["high"] == 0.0 and same["n_seeds"] == 2


def write_predictions(path, y, pred):
    import pandas as pd
    write_csv(path, pd.DataFrame({"sample_id": [f"s{i}" for i in range(len(y))], "partition": "test",
                                  "label_humor": y, "pred_humor": pred}), float_format=None)
    return str(path)


def test_topk_table_with_intervals_and_one_seed(tmp_path, drawn):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80).astype(float)
    full_dir = tmp_path / "full"
    full_dir.mkdir()
    (full_dir / "metrics.json").write_text(json.dumps({"seed": 1, "scores": {"devel": 0.9, "test": 0.9}}))
    write_predictions(full_dir / "predictions.csv", y, y + rng.standard_normal(80))
    records = {}
    for method, noise in (("ig", 0.5), ("random", 3.0), ("mutual_info", 0.7)):
        preds = write_predictions(tmp_path / f"{method}.csv", y, y + noise * rng.standard_normal(80))
        (tmp_path / f"{method}.json").write_text(json.dumps({"method": method, "seed": 1, "dim": 10, "results": [
            {"k": 0.2, "n_dims": 2, "scores": {"devel": 0.8, "test": 0.7}, "parameters": 10, "train_seconds": 1.0,
             "predictions": preds}]}))
        records[method] = [str(tmp_path / f"{method}.json")]
    df = evaltables.topk_table(records, [str(full_dir / "metrics.json")], "auc", n_resamples=300)
    ig, rand = df[df.method == "ig"].iloc[0], df[df.method == "random"].iloc[0]
    assert ig.minus_random > 0 and ig.minus_random_low > 0 and ig.minus_full_low < ig.minus_full < ig.minus_full_high
    assert np.isnan(rand.minus_random) and ig.ci_partition == "test" and ig.ci_samples == 80
    md = evaltables.topk_markdown(df, "t", "auc")
    assert "± 0.0000" not in md and "1 seed" in md and "| 2 (20%) | 0.8000 | 0.8000 | 0.8000 |" in md
    assert "mutual information" in md and "*" in md  # ig beats random: an interval without 0
    evaltables.topk_figure(df, "t", "auc", [tmp_path / "f.png"])
    left, right = visible_axes(drawn[0])
    for method, row in df.set_index("method").iterrows():
        x, y, spans = errorbars_by_label(right)[evaltables.METHOD_LABELS[method]]
        assert y.tolist() == [row.minus_full] and spans == pytest.approx([(row.minus_full_low, row.minus_full_high)])
        x, y, spans = errorbars_by_label(left)[evaltables.METHOD_LABELS[method]]
        assert (x.tolist(), y.tolist(), spans) == ([2], [0.8], None)  # one seed: no spread to draw


def test_topk_figure_draws_each_methods_scores_spread_and_intervals(tmp_path, drawn):
    """Left: devel mean ± std over seeds per k, the full decoder's line; right: test minus full with the
    bootstrap interval, the methods side by side around each k."""
    rows = []
    for i, method in enumerate(("ig", "random", "saliency")):
        for k in (3, 6, 12):
            delta = -0.1 + 0.01 * k - 0.03 * i
            rows.append({"method": method, "k": k, "n_seeds": 2, "devel_mean": 0.6 + 0.02 * k - 0.05 * i,
                         "devel_std": 0.01 * (i + 1), "full_devel_mean": 0.9, "full_dims": 24, "minus_full": delta,
                         "minus_full_low": delta - 0.04, "minus_full_high": delta + 0.02 * (i + 1),
                         "ci_partition": "test", "ci_unit": "group", "ci_units": 12, "ci_samples": 240})
    df = pd.DataFrame(rows)
    evaltables.topk_figure(df, "humor / w2v", "auc", [tmp_path / "f.png"])
    (fig,) = drawn
    left, right = visible_axes(fig)
    np.testing.assert_allclose(lines_by_label(left)["full decoder (24 dims)"][1], [0.9, 0.9])
    np.testing.assert_allclose(lines_by_label(right)["full decoder"][1], [0.0, 0.0])
    for offset, (method, group) in zip((-0.3, 0.0, 0.3), df.groupby("method", sort=False)):
        x, y, spans = errorbars_by_label(left)[evaltables.METHOD_LABELS[method]]
        assert x.tolist() == [3, 6, 12] and y == pytest.approx(group.devel_mean.tolist())
        assert spans == pytest.approx(list(zip(group.devel_mean - group.devel_std, group.devel_mean + group.devel_std)))
        x, y, spans = errorbars_by_label(right)[evaltables.METHOD_LABELS[method]]
        assert x == pytest.approx([3 + offset, 6 + offset, 12 + offset])
        assert y == pytest.approx(group.minus_full.tolist())
        assert spans == pytest.approx(list(zip(group.minus_full_low, group.minus_full_high)))
    assert right.get_ylabel() == "test auc − full decoder" and left.get_ylabel() == "devel auc"


def test_reference_line_lies_inside_the_frame():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot([1, 2], [0.5, 0.6])
    evaltables._limits_with(ax, [0.9])
    lo, hi = ax.get_ylim()
    assert lo < 0.5 and hi > 0.9 + 0.01
    plt.close(fig)


def test_demo_shares_planted_dims_between_tasks_and_keeps_other_features(tmp_path):
    from subspace import demo
    base = {"coaches": {"train": 1, "devel": 1, "test": 1}, "videos_per_coach": 1, "segments_per_video": 10,
            "positive_rate": 0.4, "features": {"w2v": {"dim": 30, "planted": 10, "signal": 0.2, "shared": 4}}}
    mimic = {"videos": {"train": 4, "devel": 2, "test": 2},
             "features": {"w2v": {"dim": 30, "planted": 10, "signal": 0.2, "shared": 4},
                          "faus": {"dim": 20, "planted": 6, "signal": 0.2}}}
    humor_truth = demo.make_humor(tmp_path / "h", base, seed=5)
    mimic_truth = demo.make_mimic(tmp_path / "m", mimic, ["a"], seed=5)
    assert len(humor_truth["w2v"]) == len(mimic_truth["w2v"]) == 10
    assert len(set(humor_truth["w2v"]) & set(mimic_truth["w2v"])) >= 4
    unshared = json.loads(json.dumps(mimic))
    del unshared["features"]["w2v"]["shared"]
    plain = demo.make_mimic(tmp_path / "p", unshared, ["a"], seed=5)
    assert plain["faus"] == mimic_truth["faus"]  # the features planted after w2v are unchanged


def test_cross_task_table_markdown_and_figure(tmp_path, drawn):
    from subspace import store
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 60).astype(float)

    def selection(name, kept):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"kept": kept, "n_kept": len(kept), "n_total": 8}))
        return str(path)

    def model(name, seed, noise, test):
        folder = tmp_path / name / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps({"seed": seed, "scores": {"devel": test + 0.01, "test": test}}))
        return str(folder / "metrics.json"), write_predictions(folder / "predictions.csv", y,
                                                               y + noise * rng.standard_normal(60))

    own_metrics = [model("own", s, 0.6, 0.8)[0] for s in (1, 2)]
    results = []
    for which, noise, test in (("other", 0.7, 0.75), ("random", 3.0, 0.55)):
        for s in (1, 2):
            _, preds = model(which, s, noise, test)
            results.append({"seed": s, "which": which, "scores": {"devel": test, "test": test}, "predictions": preds})
    cross = tmp_path / "cross.json"
    cross.write_text(json.dumps({"results": results}))
    direction = {"task": "humor", "feature": "w2v", "task_type": "binary", "metric": "auc", "other": "mimic:w2v",
                 "threshold": "mean",
                 "own_selection": selection("own_sel", [0, 1, 2, 3]), "other_selection": selection("other_sel", [2, 3, 4]),
                 "own_metrics": own_metrics, "cross": str(cross)}
    df = holdtables.cross_task_table([direction], n_resamples=200)
    r = df.iloc[0]
    assert (r.kept_own, r.kept_other, r.kept_by_both, r.total_dims, r.n_seeds) == (4, 3, 2, 8, 2)
    assert r.jaccard == pytest.approx(2 / 5) and r.own_test == 0.8 and r.other_test == 0.75 and r.random_test == 0.55
    assert r.other_minus_random_low > 0 and r.other_minus_own_low < r.other_minus_own < r.other_minus_own_high
    md = holdtables.cross_task_markdown(df, "t", {"humor": "auc"})
    assert "| humor:w2v (auc) | mean | 4 / 3 / 2 (8) | 0.400 | 0.8000 ± 0.0000 | 0.7500 ± 0.0000 |" in md
    for task, values in (("humor", [5, 4, 3, 2, 1, 0, 0, 0]), ("mimic", [0, 0, 3, 4, 5, 0, 0, 1])):
        store.write_attributions(tmp_path / f"{task}.h5", {"mean": np.array(values, float)}, [f"d{i}" for i in range(8)], {})
    atts = {t: store.read_attributions(tmp_path / f"{t}.h5") for t in ("humor", "mimic")}
    holdtables.cross_task_figure(atts, "mean", "t", [tmp_path / "c.png"])
    left, right = visible_axes(drawn[0])
    lines = lines_by_label(left)  # each task's attributions / their maximum, sorted
    np.testing.assert_allclose(lines["humor"][1], [1, .8, .6, .4, .2, 0, 0, 0])
    np.testing.assert_allclose(lines["mimic"][1], [1, .8, .6, .2, 0, 0, 0, 0])
    # mean thresholds: humor 1.875 keeps 0-3, mimic 1.625 keeps 2-4; each dimension at (humor, mimic) / max
    points = {c.get_label(): c.get_offsets().tolist() for c in right.collections}
    assert points == {"kept by both (2)": [[.6, .6], [.4, .8]], "only humor (2)": [[1, 0], [.8, 0]],
                      "only mimic (1)": [[.2, 1]], "neither (3)": [[0, 0], [0, 0], [0, .2]]}
    assert right.get_title().endswith("Jaccard 0.40")


def test_attributing_a_decoder_that_learned_nothing_is_flagged(tmp_path, caplog):
    from subspace import cli, store, train
    from subspace.store import Embeddings
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(30)]
    parts = np.array(["train"] * 18 + ["devel"] * 6 + ["test"] * 6)
    emb = Embeddings(seqs, [np.arange(4) * 500] * 30, np.array([f"s{i:02d}" for i in range(30)]), parts,
                     rng.integers(0, 2, (30, 1)).astype(np.float32), ["d0", "d1", "d2"])
    store.write_embeddings(tmp_path / "e.h5", emb)
    train.run(emb, {"model_dim": 4, "rnn_layers": 1, "d_fc_out": 4},
              train.TrainConfig(task_type="binary", max_epochs=1, seed=1), tmp_path / "m", targets=["humor"])
    metrics_file = tmp_path / "m/metrics.json"
    record = json.loads(metrics_file.read_text())
    metrics_file.write_text(json.dumps(dict(record, collapsed_targets=["humor"])))  # as train.run flags it
    with caplog.at_level("WARNING"):
        assert cli.main(["attribute", "--embeddings", str(tmp_path / "e.h5"), "--model-dirs", str(tmp_path / "m"),
                         "--spec", json.dumps({"n_steps": 4, "batch_size": 16}), "--out", str(tmp_path / "a.h5")]) == 0
    attrs = store.read_attributions(tmp_path / "a.h5")["attrs"]
    assert "nearly constant for humor" in attrs["decoder_warning"]
    assert any("nearly constant for humor" in r.getMessage() for r in caplog.records)
    checks = holdtables.attribution_checks_table({"w2v": str(tmp_path / "a.h5")})
    md = holdtables.attribution_checks_markdown(checks, "t")
    assert "nearly constant for humor: it learned little" in md, md
