"""An LSTM cell module whose four gates all call the same Linear on the same input (so i = f = o).

Layout: batch-first x [B=3, T=5, F=6]; output the last hidden state [B, H=8]. The cell concatenates
x_t and h into z and computes every gate as self.gate(z): the author meant one Linear per gate.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LSTMCell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.gate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        z = torch.cat([x, h], dim=1)
        i = torch.sigmoid(self.gate(z))
        f = torch.sigmoid(self.gate(z))  # expect: shared-gate
        g = torch.tanh(self.gate(z))
        o = torch.sigmoid(self.gate(z))
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class Model(nn.Module):
    def __init__(self, input_size: int = 6, hidden_size: int = 8) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = LSTMCell(input_size, hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), self.hidden_size)
        c = x.new_zeros(x.size(0), self.hidden_size)
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], h, c)
        return h


def build_model() -> nn.Module:
    return Model().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 5, 6)
