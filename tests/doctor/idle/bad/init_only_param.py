"""A GRU encoder with a learned initial state that is initialised (in `reset_parameters`, called from
`__init__`) but never handed to the GRU: initialisation is no use.

Layout: batch-first x [B=3, T=5, F=6]; output [B, 8].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(6, 8, batch_first=True)
        self.h0 = nn.Parameter(torch.empty(1, 1, 8))  # doctor: dead-param
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.h0, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        _, h = self.gru(x)
        return h[-1]


def build_model() -> nn.Module:
    return Encoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 5, 6)
