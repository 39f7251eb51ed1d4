"""A GRU written in forward with one [H]-wide Linear output read by both sigmoid gates (no chunking).

Layout: sequence-first x [T=6, B=2, F=5]; output [B, H=7]. `gates = self.gates(xh)` is meant to be
[B, 2·H] split into r and z; it is [B, H] and both gates read all of it, so r = z.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ManualGRU(nn.Module):
    def __init__(self, input_size: int = 5, hidden_size: int = 7) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.gates = nn.Linear(input_size + hidden_size, hidden_size)
        self.candidate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(1), self.hidden_size)
        for step in x:
            gates = self.gates(torch.cat([step, h], dim=1))
            r = torch.sigmoid(gates)
            z = torch.sigmoid(gates)  # expect: shared-gate
            n = torch.tanh(self.candidate(torch.cat([step, r * h], dim=1)))
            h = (1 - z) * h + z * n
        return h


def build_model() -> nn.Module:
    return ManualGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(6, 2, 5)
