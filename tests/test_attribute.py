import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients

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


def captum_cells(model, seqs, target, n_steps):
    """Plain captum IG on the inputs (zero baseline, Gauss-Legendre), one unpadded sequence at a time: every
    valid (time step, dimension) cell of every sample."""
    ig = IntegratedGradients(model, multiply_by_inputs=True)
    cells = [ig.attribute(torch.as_tensor(s)[None], baselines=torch.zeros(1, *s.shape), target=target, n_steps=n_steps,
                          method="gausslegendre", additional_forward_args=(torch.tensor([len(s)]),))[0].detach().numpy()
             for s in seqs]
    return np.concatenate(cells)


def test_signed_aggregate_is_the_raw_mean_and_differs_from_the_absolute_one():
    model = tiny_model(n_targets=2)
    rng = np.random.default_rng(7)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (3, 5, 2, 4)]
    cfg = dict(n_steps=40, batch_size=3)
    signed = attribute_sequences(model, seqs, AttributionConfig(aggregate="signed", **cfg), progress=False)
    absolute = attribute_sequences(model, seqs, AttributionConfig(aggregate="abs", **cfg), progress=False)
    for k in range(2):
        cells = captum_cells(model, seqs, k, 40)
        tol = 1e-5 * np.abs(cells).max()
        assert ((cells > 100 * tol).any(0) & (cells < -100 * tol).any(0)).all(), "every dimension has both signs"
        np.testing.assert_allclose(signed["mean_per_target"][k], cells.mean(0), rtol=1e-4, atol=tol)
        np.testing.assert_allclose(signed["std_per_target"][k], cells.std(0), rtol=1e-4, atol=tol)
        np.testing.assert_allclose(absolute["mean_per_target"][k], np.abs(cells).mean(0), rtol=1e-4, atol=tol)
        np.testing.assert_allclose(absolute["std_per_target"][k], np.abs(cells).std(0), rtol=1e-4, atol=tol)
        assert np.abs(signed["mean_per_target"][k] - absolute["mean_per_target"][k]).min() > 100 * tol
    np.testing.assert_allclose(signed["mean"], signed["mean_per_target"].mean(0))


def dropout_model():
    """A decoder with dropout between its GRU layers and before its output layer, in train() mode."""
    torch.manual_seed(0)
    return Decoder(DecoderConfig(d_in=5, n_targets=2, model_dim=6, rnn_layers=2, rnn_dropout=0.5, d_fc_out=8,
                                 fc_dropout=0.5)).train()


@pytest.mark.parametrize("interpolate_in", ["projection", "input"])
def test_ig_puts_a_model_handed_over_in_train_mode_into_eval_mode_itself(interpolate_in):
    """Dropout must not act during attribution: a train()-mode model gets the eval()-mode attributions,
    completeness deltas and output gaps (the first batch included)."""
    rng = np.random.default_rng(8)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (4, 2, 5, 3, 1)]
    cfg = AttributionConfig(n_steps=10, batch_size=2, interpolate_in=interpolate_in)
    reference = attribute_sequences(dropout_model().eval(), seqs, cfg, progress=False)
    torch.manual_seed(1)  # dropout masks would be drawn from here
    handed_over = attribute_sequences(dropout_model(), seqs, cfg, progress=False)
    for key in ("mean_per_target", "std_per_target", "completeness_delta", "output_gap"):
        np.testing.assert_allclose(handed_over[key], reference[key], rtol=1e-6, atol=1e-9, err_msg=key)
    x, lengths = pad_batch(seqs)
    attr, delta = integrated_gradients(dropout_model(), x, lengths, 1, cfg)
    ref_attr, ref_delta = integrated_gradients(dropout_model().eval(), x, lengths, 1, cfg)
    np.testing.assert_allclose(attr, ref_attr, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(delta, ref_delta, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("method", ["saliency", "input_x_gradient"])
def test_gradient_rankings_put_a_model_handed_over_in_train_mode_into_eval_mode(method):
    from subspace.evaluate import gradient_attributions
    rng = np.random.default_rng(9)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in (4, 2, 5)]
    reference = gradient_attributions(dropout_model().eval(), seqs, method, batch_size=2)
    torch.manual_seed(1)
    handed_over = gradient_attributions(dropout_model(), seqs, method, batch_size=2)
    np.testing.assert_allclose(handed_over["mean_per_target"], reference["mean_per_target"], rtol=1e-6)


def test_an_unknown_aggregate_is_an_error_not_the_signed_mean():
    with pytest.raises(ValueError, match="aggregate must be 'abs' or 'signed', not 'absolute'"):
        attribute_sequences(tiny_model(), [np.ones((2, 5), np.float32)], AttributionConfig(aggregate="absolute"),
                            progress=False)


# ---- multiclass decoders (softmax) -------------------------------------------------------------------------------
def softmax_model(n_classes=3, d_in=5):
    torch.manual_seed(3)
    return Decoder(DecoderConfig(d_in=d_in, n_targets=n_classes, model_dim=6, rnn_layers=1, d_fc_out=4,
                                 activation="softmax")).eval()


def multiclass_data(n=9, seed=8):
    rng = np.random.default_rng(seed)
    seqs = [rng.standard_normal((t, 5)).astype(np.float32) for t in rng.integers(1, 6, n)]
    labels = np.array([0, 1, 2, 2, 1, 0, 2, 2, 1][:n], dtype=np.float32)[:, None]
    return seqs, labels


@pytest.mark.parametrize("interpolate_in", ["projection", "input"])
@pytest.mark.parametrize("output", ["activated", "logit"])
def test_multiclass_ig_of_each_samples_labelled_class_equals_plain_captum(interpolate_in, output):
    model = softmax_model()
    seqs, labels = multiclass_data()
    cfg = AttributionConfig(n_steps=30, batch_size=4, interpolate_in=interpolate_in, output=output)
    stats = attribute_sequences(model, seqs, cfg, progress=False, labels=labels)
    activate = output == "activated"
    per_class, every_cell = [], []
    for c in range(3):  # plain captum, one sequence at a time, target = the sample's own class
        ig = IntegratedGradients(lambda x, n: model(x, n, activate), multiply_by_inputs=True)
        cells = np.concatenate([
            ig.attribute(torch.as_tensor(s)[None], baselines=torch.zeros(1, *s.shape), target=c, n_steps=30,
                         additional_forward_args=(torch.tensor([len(s)]),))[0].detach().numpy()
            for s, y in zip(seqs, labels[:, 0]) if y == c])
        per_class.append(np.abs(cells).mean(0))
        every_cell.append(np.abs(cells))
    np.testing.assert_allclose(stats["mean_per_target"], per_class, rtol=1e-4, atol=1e-7)
    pooled = np.concatenate(every_cell)
    np.testing.assert_allclose(stats["mean"], pooled.mean(0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(stats["std"], pooled.std(0), rtol=1e-4, atol=1e-7)
    assert stats["completeness_delta"].shape == (len(seqs), 1)
    with torch.no_grad():  # the gap of each sample's own class
        x, lengths = pad_batch(seqs)
        gap = (model(x, lengths, activate) - model(torch.zeros_like(x), lengths, activate)).numpy()
    own_gap = gap[np.arange(len(seqs)), labels[:, 0].astype(int)]
    np.testing.assert_allclose(stats["output_gap"][:, 0], own_gap, rtol=1e-5, atol=1e-7)
    # completeness: each sample's attributions add up to its own class's gap
    assert (np.abs(stats["completeness_delta"][:, 0]) <= 0.1 * np.abs(own_gap) + 1e-7).all()


def test_multiclass_ig_mean_over_classes_explains_every_class_for_every_sample():
    model = softmax_model()
    seqs, labels = multiclass_data()
    stats = attribute_sequences(model, seqs, AttributionConfig(n_steps=30, multiclass="mean"), progress=False,
                                labels=labels)
    for c in range(3):
        np.testing.assert_allclose(stats["mean_per_target"][c], np.abs(captum_cells(model, seqs, c, 30)).mean(0),
                                   rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(stats["mean"], stats["mean_per_target"].mean(0))
    assert stats["completeness_delta"].shape == (len(seqs), 3)
    labelled = attribute_sequences(model, seqs, AttributionConfig(n_steps=30), progress=False, labels=labels)
    assert np.abs(labelled["mean"] - stats["mean"]).max() > 1e-4  # the two choices differ
    with pytest.raises(ValueError, match="needs the samples' labels"):
        attribute_sequences(model, seqs, AttributionConfig(n_steps=5), progress=False)


@pytest.mark.parametrize("method", ["saliency", "input_x_gradient"])
def test_gradient_rankings_of_a_multiclass_decoder_explain_the_labelled_class(method):
    from captum.attr import InputXGradient, Saliency

    from subspace.evaluate import gradient_attributions
    model = softmax_model()
    seqs, labels = multiclass_data()
    stats = gradient_attributions(model, seqs, method, batch_size=4, labels=labels)
    explainer = (Saliency if method == "saliency" else InputXGradient)(model)
    cells = [np.abs(explainer.attribute(torch.as_tensor(s)[None].requires_grad_(), target=int(y),
                                        additional_forward_args=(torch.tensor([len(s)]),))[0].detach().numpy())
             for s, y in zip(seqs, labels[:, 0])]
    np.testing.assert_allclose(stats["mean"], np.concatenate(cells).mean(0), rtol=1e-4, atol=1e-7)
    for c in range(3):
        own = np.concatenate([a for a, y in zip(cells, labels[:, 0]) if y == c])
        np.testing.assert_allclose(stats["mean_per_target"][c], own.mean(0), rtol=1e-4, atol=1e-7)
