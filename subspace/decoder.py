"""The MuSe 2023 baseline decoder: input projection -> GRU -> last valid step -> FF -> FF."""
from __future__ import annotations

from dataclasses import dataclass, asdict

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


@dataclass
class DecoderConfig:
    """The baseline's decoder; defaults are its ``main.py`` defaults (../shared/muse2023.md)."""

    d_in: int
    n_targets: int = 1
    model_dim: int = 64
    rnn_layers: int = 1
    bidirectional: bool = False
    rnn_dropout: float = 0.2
    d_fc_out: int = 64
    fc_dropout: float = 0.5
    output_bias_init: float = 0.0
    # the baseline ends in a sigmoid for Humor and for Mimic (config.py ACTIVATION_FUNCTIONS), inside the
    # model, so its losses and the paper's Integrated Gradients see the activated output; "none": raw scores
    activation: str = "sigmoid"

    def to_dict(self) -> dict:
        return asdict(self)


class Decoder(nn.Module):
    """Input projection (no bias) -> GRU -> last valid step -> FF -> ReLU -> dropout -> FF -> activation.

    ``forward(x, lengths)`` takes zero-padded ``x`` of shape (batch, time, d_in) and the valid
    lengths; the prediction comes from the GRU output at each sequence's last valid step.
    ``activate=False`` returns the scores before the final activation (the logits).
    """

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        if cfg.activation not in ("sigmoid", "none"):
            raise ValueError(f"decoder activation must be 'sigmoid' or 'none', not '{cfg.activation}'")
        self.cfg = cfg
        self.inp = nn.Linear(cfg.d_in, cfg.model_dim, bias=False)
        self.rnn = nn.GRU(cfg.model_dim, cfg.model_dim, num_layers=cfg.rnn_layers, batch_first=True,
                          bidirectional=cfg.bidirectional,
                          dropout=cfg.rnn_dropout if cfg.rnn_layers > 1 else 0.0)
        d_rnn_out = cfg.model_dim * (2 if cfg.bidirectional else 1)
        self.fc = nn.Linear(d_rnn_out, cfg.d_fc_out)
        self.dropout = nn.Dropout(cfg.fc_dropout)
        self.out = nn.Linear(cfg.d_fc_out, cfg.n_targets)
        nn.init.constant_(self.out.bias, cfg.output_bias_init)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, activate: bool = True) -> torch.Tensor:
        return self.forward_projected(self.inp(x), lengths, activate)

    def forward_projected(self, h: torch.Tensor, lengths: torch.Tensor, activate: bool = True) -> torch.Tensor:
        """Everything after the (linear, bias-free) input projection ``h = inp(x)``."""
        packed = pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=h.shape[1])
        last = (lengths.to(out.device) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
        h_last = out.gather(1, last).squeeze(1)
        scores = self.out(self.dropout(torch.relu(self.fc(h_last))))
        return torch.sigmoid(scores) if activate and self.cfg.activation == "sigmoid" else scores


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def pad_batch(sequences, dims=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad a list of (time x dim) arrays into (batch, max_time, dim) plus lengths."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    d = sequences[0].shape[1]
    x = torch.zeros(len(sequences), int(lengths.max()), d)
    for i, s in enumerate(sequences):
        x[i, : len(s)] = torch.as_tensor(s)
    return x, lengths
