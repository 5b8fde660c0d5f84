import numpy as np
import pytest
import torch

from subspace.attribute import AttributionConfig, attribute_sequences, integrated_gradients, relative_completeness_error
from subspace.decoder import Decoder, DecoderConfig, pad_batch


def tiny_model(n_targets=1, d_in=5, bidirectional=False):
    torch.manual_seed(0)
    return Decoder(DecoderConfig(d_in=d_in, n_targets=n_targets, model_dim=6, rnn_layers=2,
                                 bidirectional=bidirectional, d_fc_out=4)).eval()


def hand_ig(model, x, lengths, target, m):
    """IG_i = (x_i - 0)/m * sum_{k=1..m} dF(k/m * x)/dx_i, computed with plain autograd."""
    total = torch.zeros_like(x)
    for k in range(1, m + 1):
        xk = (k / m * x).clone().requires_grad_(True)
        out = model(xk, lengths)[:, target].sum()
        (grad,) = torch.autograd.grad(out, xk)
        total += grad
    return (x * total / m).numpy()


@pytest.mark.parametrize("n_targets,bidirectional", [(1, False), (3, True)])
def test_ig_equals_hand_computation_of_the_formula(n_targets, bidirectional):
    model = tiny_model(n_targets, bidirectional=bidirectional)
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (3, 5, 1)]
    x, lengths = pad_batch(seqs)
    cfg = AttributionConfig(n_steps=7, method="riemann_right", internal_batch_size=5)
    for target in range(n_targets):
        attr, _ = integrated_gradients(model, x, lengths, target, cfg)
        np.testing.assert_allclose(attr, hand_ig(model, x, lengths, target, 7), rtol=1e-4, atol=1e-6)
        assert np.all(attr[2, 1:] == 0), "padded steps are zero inputs, so they get zero attribution"


def test_completeness_error_shrinks_with_steps():
    model = tiny_model()
    rng = np.random.default_rng(2)
    seqs = [rng.standard_normal((4, 5)).astype(np.float32) for _ in range(6)]
    errors = []
    for steps in (5, 200):
        stats = attribute_sequences(model, seqs, AttributionConfig(n_steps=steps, method="gausslegendre",
                                                                   batch_size=4), progress=False)
        errors.append(relative_completeness_error(stats))
    assert errors[1] < errors[0]
    assert errors[1] < 5e-3  # float32 gradients bound how small it gets


def test_aggregate_mean_std_over_valid_cells_and_average_over_outputs():
    model = tiny_model(n_targets=3)
    rng = np.random.default_rng(3)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (2, 4, 3)]
    cfg = AttributionConfig(n_steps=5, batch_size=2, internal_batch_size=7)
    stats = attribute_sequences(model, seqs, cfg, progress=False)
    x, lengths = pad_batch(seqs)
    per_target_mean, per_target_std = [], []
    for k in range(3):
        attr, _ = integrated_gradients(model, x, lengths, k, cfg)
        cells = np.abs(np.concatenate([attr[i, :t] for i, t in enumerate((2, 4, 3))]))
        per_target_mean.append(cells.mean(0))
        per_target_std.append(cells.std(0))
    np.testing.assert_allclose(stats["mean_per_target"], per_target_mean, rtol=1e-5)
    np.testing.assert_allclose(stats["std_per_target"], per_target_std, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(stats["mean"], np.mean(per_target_mean, 0), rtol=1e-5)


def test_batching_does_not_change_attributions():
    model = tiny_model()
    rng = np.random.default_rng(4)
    seqs = [rng.standard_normal((int(t), 5)).astype(np.float32) for t in rng.integers(1, 6, 9)]
    a = attribute_sequences(model, seqs, AttributionConfig(n_steps=10, batch_size=2, internal_batch_size=3),
                            progress=False)
    b = attribute_sequences(model, seqs, AttributionConfig(n_steps=10, batch_size=9, internal_batch_size=90),
                            progress=False)
    np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-5)


@pytest.mark.parametrize("output", ["activated", "logit"])
@pytest.mark.parametrize("method", ["riemann_right", "gausslegendre"])
def test_projection_space_ig_equals_plain_captum(method, output):
    model = tiny_model(n_targets=3, bidirectional=True)
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (4, 2, 6, 1)]
    x, lengths = pad_batch(seqs)
    for target in range(3):
        fast = integrated_gradients(model, x, lengths, target,
                                    AttributionConfig(n_steps=30, method=method, output=output))
        plain = integrated_gradients(model, x, lengths, target,
                                     AttributionConfig(n_steps=30, method=method, interpolate_in="input",
                                                       output=output))
        np.testing.assert_allclose(fast[0], plain[0], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(fast[1], plain[1], rtol=1e-4, atol=1e-6)


def test_ig_explains_the_activated_output_by_default():
    """Completeness: the attributions add up to sigmoid(f(x)) - sigmoid(f(0)), not to the logit gap."""
    model = tiny_model(n_targets=3)
    rng = np.random.default_rng(6)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (3, 4)]
    x, lengths = pad_batch(seqs)
    for output, activate in (("activated", True), ("logit", False)):
        attr, delta = integrated_gradients(model, x, lengths, 1, AttributionConfig(n_steps=50, output=output))
        with torch.no_grad():
            gap = (model(x, lengths, activate) - model(torch.zeros_like(x), lengths, activate))[:, 1].numpy()
        np.testing.assert_allclose(attr.sum(axis=(1, 2)), gap, rtol=1e-3, atol=1e-6)
    with torch.no_grad():
        assert model(x, lengths).min() >= 0 and model(x, lengths).max() <= 1
