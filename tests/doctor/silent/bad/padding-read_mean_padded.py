"""A packed GRU classifier that mean-pools its outputs over each sequence's real steps.

Layout: batch-first x [B=4, T=9, F=6] zero-padded after each sequence, and lengths [B]
(9, 4, 7, 2); output class logits [B, 3]. pad_packed_sequence returns [B, T, H] with zeros
after each length; the mean divides the sum over T by each sequence's own length.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class MeanPoolGRU(nn.Module):
    def __init__(self, num_features: int = 6, hidden_size: int = 16, num_classes: int = 3) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True)  # [B, T, H]
        pooled = out.mean(dim=1)  # doctor: padding-read
        return self.fc(pooled)


def build_model() -> nn.Module:
    return MeanPoolGRU().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([9, 4, 7, 2])
    pad = torch.arange(9).unsqueeze(0) >= lengths.unsqueeze(1)
    return torch.randn(4, 9, 6).masked_fill(pad.unsqueeze(-1), 0.0), lengths
