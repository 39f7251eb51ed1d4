"""A packed batch-first GRU classifier over variable-length feature sequences.

Layout: batch-first. Input features x [B=4, T=9, F=6] zero-padded after each sequence and the
lengths [B] (9, 5, 8, 3); output class logits [B, 3].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class PackedGRUClassifier(nn.Module):
    def __init__(self, num_features: int = 6, hidden_size: int = 20, num_classes: int = 3) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        packed_out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(packed_out, batch_first=True)  # [B, T, H]
        last = out[:, -1, :]  # doctor: padding-read
        return self.fc(last)


def build_model() -> nn.Module:
    return PackedGRUClassifier()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([9, 5, 8, 3])
    x = torch.randn(4, 9, 6)
    pad = torch.arange(9).unsqueeze(0) >= lengths.unsqueeze(1)  # [B, T]
    return x.masked_fill(pad.unsqueeze(-1), 0.0), lengths
