"""A packed BiGRU whose per-step projections are summed over time: the projection's bias is added at every
padded step too.

Layout: batch-first x [B=3, T=7, F=4], lengths (7, 4, 2); output [B, 5].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class SumPool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(4, 6, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(12, 5)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        return self.proj(out).sum(dim=1)  # expect: padding-read


def build_model() -> nn.Module:
    return SumPool().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(3, 7, 4), torch.tensor([7, 4, 2])
