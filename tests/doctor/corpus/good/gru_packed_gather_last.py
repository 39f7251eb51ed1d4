"""A packed sequence-first GRU classifier that gathers each sequence's output at its own last step.

Layout: sequence-first. Input features x [T=9, B=4, F=6] zero-padded after each sequence's end,
and the lengths [B] (9, 3, 7, 5); output class logits [B, 3].
After pad_packed_sequence the output is [T, B, H]; out[lengths − 1, arange(B)] picks, for every
sample b, the step lengths[b] − 1, its last real one, so no padding is read.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class GatherLastClassifier(nn.Module):
    def __init__(self, num_features: int = 6, hidden_size: int = 20, num_classes: int = 3) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        packed_out, _ = self.gru(packed)
        out, out_lengths = pad_packed_sequence(packed_out)  # [T, B, H]
        last = out[out_lengths - 1, torch.arange(out.size(1))]  # [B, H]
        return self.fc(last)


def build_model() -> nn.Module:
    return GatherLastClassifier()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([9, 3, 7, 5])
    x = torch.randn(9, 4, 6)
    pad = torch.arange(9).unsqueeze(1) >= lengths.unsqueeze(0)  # [T, B]
    return x.masked_fill(pad.unsqueeze(-1), 0.0), lengths
