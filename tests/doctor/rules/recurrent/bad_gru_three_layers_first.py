"""A three-layer (one-direction) GRU regressor that reads h_n[0], the first layer, as the final state.

Layout: sequence-first x [T=8, B=2, F=4]; output [B, 1]. h_n is [3, B, H]; the last layer is h_n[-1].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class DeepGRU(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 10, num_layers=3)
        self.head = nn.Linear(10, 1)

    def forward(self, x: Tensor) -> Tensor:
        _, h_n = self.gru(x)
        last = h_n[0]  # expect: bidirectional
        return self.head(last)


def build_model() -> nn.Module:
    return DeepGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(8, 2, 4)
