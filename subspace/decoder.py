"""The MuSe 2023 baseline decoder: input projection -> GRU -> last valid step -> FF -> FF; and the `mlp` decoder
for one vector per sample: input projection -> mean over the valid steps -> FF -> FF (no GRU)."""
from __future__ import annotations

from dataclasses import dataclass, asdict

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .config.model import Feature, Training, default

ACTIVATIONS = ("sigmoid", "none", "softmax", "standardise")


@dataclass
class DecoderConfig:
    """The baseline's decoder; defaults are its ``main.py`` defaults (EIHW/MuSe-2023 @ bb5f7f2, main.py L38-47;
    docs/sources.md)."""

    d_in: int
    n_targets: int = 1
    decoder: str = default(Feature, "decoder")  # "gru" (the baseline's) or "mlp"
    model_dim: int = default(Feature, "model_dim")
    rnn_layers: int = default(Feature, "rnn_layers")
    bidirectional: bool = default(Feature, "bidirectional")
    rnn_dropout: float = default(Feature, "rnn_dropout")
    d_fc_out: int = default(Training, "d_fc_out")
    fc_dropout: float = default(Feature, "fc_dropout")
    output_bias_init: float = 0.0
    # the baseline ends in a sigmoid for Humor and for Mimic (config.py ACTIVATION_FUNCTIONS), inside the
    # model, so its losses and the paper's Integrated Gradients see the activated output; "none": raw scores;
    # "softmax": class probabilities (multiclass); "standardise": raw scores are standardised targets, mapped
    # back by target_std and target_mean (subspace.targets.resolve_activation turns `auto` into one of these)
    activation: str = "sigmoid"
    target_mean: list[float] | None = None
    target_std: list[float] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class Decoder(nn.Module):
    """Input projection (no bias) -> GRU -> last valid step -> FF -> ReLU -> dropout -> FF -> activation; with
    ``decoder="mlp"`` the mean of the projected valid steps replaces the GRU (a vector: its projection).

    ``forward(x, lengths)`` takes zero-padded ``x`` of shape (batch, time, d_in) and the valid
    lengths; the prediction comes from the GRU output at each sequence's last valid step.
    ``activate=False`` returns the scores before the final activation (the logits; standardised targets).
    """

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        if cfg.activation not in ACTIVATIONS:
            raise ValueError(f"decoder activation must be one of {list(ACTIVATIONS)}, not '{cfg.activation}'")
        if (cfg.activation == "standardise") != (cfg.target_mean is not None and cfg.target_std is not None):
            raise ValueError("a decoder maps standardised targets back exactly when its activation is 'standardise'")
        if cfg.decoder not in ("gru", "mlp"):
            raise ValueError(f"decoder must be 'gru' or 'mlp', not '{cfg.decoder}'")
        self.cfg = cfg
        self.inp = nn.Linear(cfg.d_in, cfg.model_dim, bias=False)
        if cfg.decoder == "gru":
            self.rnn = nn.GRU(cfg.model_dim, cfg.model_dim, num_layers=cfg.rnn_layers, batch_first=True,
                              bidirectional=cfg.bidirectional,
                              dropout=cfg.rnn_dropout if cfg.rnn_layers > 1 else 0.0)
        d_rnn_out = cfg.model_dim * (2 if cfg.bidirectional and cfg.decoder == "gru" else 1)
        self.fc = nn.Linear(d_rnn_out, cfg.d_fc_out)
        self.dropout = nn.Dropout(cfg.fc_dropout)
        self.out = nn.Linear(cfg.d_fc_out, cfg.n_targets)
        nn.init.constant_(self.out.bias, cfg.output_bias_init)
        if cfg.activation == "standardise":  # buffers: they follow .to(device); not weights, so not in state_dict
            self.register_buffer("target_mean", torch.tensor(cfg.target_mean), persistent=False)
            self.register_buffer("target_std", torch.tensor(cfg.target_std), persistent=False)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, activate: bool = True) -> torch.Tensor:
        return self.forward_projected(self.inp(x), lengths, activate)

    def forward_projected(self, h: torch.Tensor, lengths: torch.Tensor, activate: bool = True) -> torch.Tensor:
        """Everything after the (linear, bias-free) input projection ``h = inp(x)``."""
        h_last = self.gru_last(h, lengths) if self.cfg.decoder == "gru" else self.valid_mean(h, lengths)
        scores = self.out(self.dropout(torch.relu(self.fc(h_last))))
        if not activate or self.cfg.activation == "none":
            return scores
        if self.cfg.activation == "sigmoid":
            return torch.sigmoid(scores)
        if self.cfg.activation == "softmax":
            return torch.softmax(scores, dim=-1)
        return scores * self.target_std + self.target_mean

    def gru_last(self, h: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The GRU's output at each sequence's last valid step."""
        packed = pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=h.shape[1])
        last = (lengths.to(out.device) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
        return out.gather(1, last).squeeze(1)

    @staticmethod
    def valid_mean(h: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The mean of each sequence's valid steps (linear in ``h``, so IG on the projection stays exact)."""
        lengths = lengths.to(h.device)
        valid = (torch.arange(h.shape[1], device=h.device)[None, :] < lengths[:, None]).to(h.dtype)
        return (h * valid[..., None]).sum(1) / lengths[:, None].to(h.dtype)


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
