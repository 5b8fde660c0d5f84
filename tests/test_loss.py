import numpy as np
import pytest
import torch
from scipy.stats import pearsonr

from subspace.loss import PearsonLoss, pearson_loss, pearson_per_target


def test_matches_scipy_per_target_and_averages_over_targets():
    rng = np.random.default_rng(0)
    y = rng.standard_normal((32, 3))
    p = y * [1.0, -0.5, 0.0] + rng.standard_normal((32, 3))
    expected = np.mean([1 - pearsonr(y[:, k], p[:, k])[0] for k in range(3)])
    got = pearson_loss(torch.tensor(p), torch.tensor(y), eps=0.0).item()
    assert got == pytest.approx(expected, abs=1e-12)
    r = pearson_per_target(torch.tensor(p), torch.tensor(y), eps=0.0).numpy()
    np.testing.assert_allclose(r, [pearsonr(y[:, k], p[:, k])[0] for k in range(3)], atol=1e-12)


def test_perfect_correlation_is_zero_and_anticorrelation_is_two():
    y = torch.linspace(-1, 2, 32, dtype=torch.float64).reshape(-1, 1).repeat(1, 3)
    assert pearson_loss(3 * y + 5, y).item() == pytest.approx(0.0, abs=1e-9)
    assert pearson_loss(-2 * y + 1, y).item() == pytest.approx(2.0, abs=1e-9)
    assert pearson_loss(y[:, 0], y[:, 0]).item() == pytest.approx(0.0, abs=1e-9)  # 1-D: one target


def test_constant_predictions_give_the_documented_value_one_with_finite_gradient():
    y = torch.randn(16, 3, dtype=torch.float64)
    p = torch.full((16, 3), 0.7, dtype=torch.float64, requires_grad=True)
    loss = pearson_loss(p, y)
    assert loss.item() == pytest.approx(1.0, abs=1e-12)
    loss.backward()
    assert torch.isfinite(p.grad).all()
    # constant in one target only: that target contributes exactly 1
    q = torch.stack([y[:, 0], torch.zeros(16, dtype=torch.float64), y[:, 2]], 1)
    assert pearson_loss(q, y).item() == pytest.approx((0 + 1 + 0) / 3, abs=1e-9)


def test_gradient_matches_finite_differences():
    torch.manual_seed(0)
    p = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    y = torch.randn(8, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: pearson_loss(a, y), (p,), eps=1e-6, atol=1e-6)
    assert torch.autograd.gradgradcheck(lambda a: pearson_loss(a, y), (p,))


def test_gradient_equals_the_closed_form():
    # d(1 - r)/dp_i = -( dy_i / sqrt(Sy Sp) - r dp_i / Sp ), averaged over targets
    torch.manual_seed(1)
    p = torch.randn(10, 2, dtype=torch.float64, requires_grad=True)
    y = torch.randn(10, 2, dtype=torch.float64)
    pearson_loss(p, y, eps=0.0).backward()
    dp, dy = p.detach() - p.detach().mean(0), y - y.mean(0)
    sp, sy = (dp ** 2).sum(0), (dy ** 2).sum(0)
    r = (dp * dy).sum(0) / torch.sqrt(sp * sy)
    closed = -(dy / torch.sqrt(sy * sp) - r * dp / sp) / 2
    torch.testing.assert_close(p.grad, closed)


def test_bad_shapes_and_tiny_batches_raise():
    with pytest.raises(ValueError, match="same shape"):
        pearson_loss(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="at least 2 samples"):
        pearson_loss(torch.zeros(1, 3), torch.zeros(1, 3))
    assert isinstance(PearsonLoss()(torch.randn(4, 3), torch.randn(4, 3)), torch.Tensor)
