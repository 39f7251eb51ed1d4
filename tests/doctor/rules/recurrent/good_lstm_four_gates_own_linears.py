"""The twin of bad_lstm_four_gates_one_linear: one Linear per gate, over the same input z."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LSTMCell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_gate = nn.Linear(input_size + hidden_size, hidden_size)
        self.forget_gate = nn.Linear(input_size + hidden_size, hidden_size)
        self.cell_gate = nn.Linear(input_size + hidden_size, hidden_size)
        self.output_gate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        z = torch.cat([x, h], dim=1)
        i = torch.sigmoid(self.input_gate(z))
        f = torch.sigmoid(self.forget_gate(z))
        g = torch.tanh(self.cell_gate(z))
        o = torch.sigmoid(self.output_gate(z))
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
