"""A sequence-first GRU forecaster that feeds all of its hidden states to one linear head.

Layout: sequence-first (nn.GRU without batch_first). Input x [T=6, B=4, F=3]; output the next 2
values of each series [B, 2]. The GRU output is [T, B, H=10]; per sample the head reads the
sample's T·H states, so the batch axis is moved in front before flattening.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FlattenForecaster(nn.Module):
    def __init__(self, num_features: int = 3, hidden_size: int = 10, steps: int = 6, horizon: int = 2) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size)
        self.head = nn.Linear(steps * hidden_size, horizon)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.gru(x)  # [T, B, H]
        flat = out.view(x.size(1), -1)  # doctor: axes-scrambled
        return self.head(flat)


def build_model() -> nn.Module:
    return FlattenForecaster().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(6, 4, 3)
