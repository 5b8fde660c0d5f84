"""The batch-level Pearson-correlation loss used to fine-tune wav2vec 2.0 on Mimic.

    loss = mean over targets of  1 - sum((y - y_mean)(p - p_mean)) / sqrt(sum((y - y_mean)^2) * sum((p - p_mean)^2))

computed over the samples of one batch (the paper uses batches of 32 so that r is stable).

Degenerate batches: when the predictions (or the labels) of a target are constant over the batch the
correlation is undefined (0/0). We add ``eps`` under the square root, so such a target gets r = 0 and
loss exactly 1 ("no correlation") with a finite gradient; the same eps shifts a well-defined r by a
relative ~eps / (2 * var_y * var_p), negligible for eps = 1e-8 on real batches. A batch of fewer
than 2 samples has no correlation at all and raises ``ValueError``.
"""
from __future__ import annotations

import torch
from torch import nn


def pearson_per_target(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Pearson r of each column over the batch (dim 0); 1-D inputs are one target."""
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} must have the same shape")
    if pred.dim() == 1:
        pred, target = pred[:, None], target[:, None]
    if pred.dim() != 2:
        raise ValueError(f"expected (batch,) or (batch, targets), got {tuple(pred.shape)}")
    if pred.shape[0] < 2:
        raise ValueError(f"a Pearson correlation needs at least 2 samples per batch, got {pred.shape[0]}")
    target = target.to(pred.dtype)
    dp = pred - pred.mean(0, keepdim=True)
    dy = target - target.mean(0, keepdim=True)
    cov = (dp * dy).sum(0)
    return cov / torch.sqrt((dy * dy).sum(0) * (dp * dp).sum(0) + eps)


def pearson_loss(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """1 - Pearson r per target, averaged over targets: 0 for perfect, 1 for none, 2 for anti-correlation."""
    return (1.0 - pearson_per_target(pred, target, eps)).mean()


class PearsonLoss(torch.nn.Module):
    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return pearson_loss(pred, target, self.eps)


def task_loss(kind: str, activation: str, weights: list[float] | None = None):
    """The training loss and whether it takes the activated output. The baseline's on the sigmoid output (BCE,
    MSE); on the raw output otherwise: BCE with logits, cross-entropy (optionally class-weighted) on the class
    scores, MSE on the (standardised) values."""
    if kind == "multiclass":
        return nn.CrossEntropyLoss(weight=None if weights is None else torch.tensor(weights)), False
    if kind == "binary":
        return (nn.BCELoss(), True) if activation == "sigmoid" else (nn.BCEWithLogitsLoss(), False)
    return nn.MSELoss(), activation == "sigmoid"
