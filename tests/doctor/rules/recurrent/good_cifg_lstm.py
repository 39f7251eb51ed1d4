"""A coupled input-forget gate LSTM (CIFG, Greff et al. 2017): the input gate is 1 − f by design.

Layout: batch-first x [B=2, T=5, F=4]; output [B, H=6]. Gates f and o come from one Linear chunked in two.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CIFGCell(nn.Module):
    def __init__(self, input_size: int = 4, hidden_size: int = 6) -> None:
        super().__init__()
        self.gates = nn.Linear(input_size + hidden_size, 2 * hidden_size)
        self.candidate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        xh = torch.cat([x, h], dim=1)
        f, o = torch.sigmoid(self.gates(xh)).chunk(2, dim=1)
        g = torch.tanh(self.candidate(xh))
        c = f * c + (1 - f) * g
        h = o * torch.tanh(c)
        return h, c


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = CIFGCell()

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), 6)
        c = x.new_zeros(x.size(0), 6)
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], h, c)
        return h


def build_model() -> nn.Module:
    return Model().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 5, 4)
