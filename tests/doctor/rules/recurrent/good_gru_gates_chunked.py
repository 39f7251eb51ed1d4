"""The twin of bad_gru_gates_one_output: a [B, 2·H] Linear output chunked into r and z."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ManualGRU(nn.Module):
    def __init__(self, input_size: int = 5, hidden_size: int = 7) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.gates = nn.Linear(input_size + hidden_size, 2 * hidden_size)
        self.candidate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(1), self.hidden_size)
        for step in x:
            gates = self.gates(torch.cat([step, h], dim=1))
            r = torch.sigmoid(gates[:, : self.hidden_size])
            z = torch.sigmoid(gates[:, self.hidden_size :])
            n = torch.tanh(self.candidate(torch.cat([step, r * h], dim=1)))
            h = (1 - z) * h + z * n
        return h


def build_model() -> nn.Module:
    return ManualGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(6, 2, 5)
