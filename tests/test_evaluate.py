import json

import numpy as np
import pytest
import torch

from subspace import evaltables
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
    df = evaltables.stability_table({"w2v": str(path)}, ["mean"])
    row = df.iloc[0]
    assert row.n_seeds == 3 and row.kept_min == row.kept_max == 3 and row.total_dims == 6
    assert row.kept_by_all == 2 and row.kept_by_any == 4
    assert row.jaccard_mean == pytest.approx((0.5 + 1.0 + 0.5) / 3) and row.jaccard_min == 0.5
    md = evaltables.stability_markdown(df, "t")
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
    assert "| 2 (20%) | 0.8500 ± 0.0000 | 0.6000 ± 0.0000 |" in md
    paths = [tmp_path / "f.png", tmp_path / "f.pdf"]
    evaltables.topk_figure(df, "t", "auc", paths)
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and paths[1].read_bytes()[:4] == b"%PDF"
    write_csv(tmp_path / "t.csv", df)
    evaltables.html_table(tmp_path / "t.csv", "a <title>", tmp_path / "t.html")
    html = (tmp_path / "t.html").read_text()
    assert "a &lt;title&gt;" in html and "<td>ig</td>" in html and "0.8500" in html


@pytest.mark.parametrize("old,new,expected", [
    ("features: {humor: [w2v]}, k:", "features: {humor: [vit]}, k:", "evaluation.features.humor: ['vit'] are not features"),
    ("k: [0.25, 12]", "k: [0.25, 1.5]", "1.5"),
    ("methods: [ig, random,", "methods: [ig, lime,", "lime"),
    ("seeds: 1,\n", "seeds: 3,\n", "evaluation.seeds (3) is more than the 2 seeds"),
    ("stability: true}", "stability: {mimic: [vit]}}", "evaluation.stability.mimic: ['vit'] are not features"),
], ids=["unknown feature", "k not a fraction or count", "unknown method", "too many seeds", "unknown stability feature"])
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
