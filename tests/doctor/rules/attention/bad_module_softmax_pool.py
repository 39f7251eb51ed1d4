"""Attention pooling over time with an nn.Softmax built for the wrong axis of [B, T, 1] scores.

Layout: batch-first x [B=3, T=8, F=6]; output [B, 4]. nn.Softmax(dim=2) normalises the single score of
each step: every weight is 1 and the pooling is a plain sum over the 8 steps.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AttentivePool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(6, 10, batch_first=True)
        self.score = nn.Linear(10, 1)
        self.normalise = nn.Softmax(dim=2)
        self.fc = nn.Linear(10, 4)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.rnn(x)
        weights = self.normalise(self.score(h))  # expect: softmax-axis
        return self.fc(torch.sum(weights * h, dim=1))


def build_model() -> nn.Module:
    return AttentivePool().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 8, 6)
