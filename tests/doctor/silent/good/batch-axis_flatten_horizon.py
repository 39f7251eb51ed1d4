"""A GRU forecaster that predicts the next 3 values of each series.

Layout: batch-first x [B=4, T=10, F=2]; output the forecasts [B, horizon=3], compared with
targets [B, 3] by the loss.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MultiStepForecaster(nn.Module):
    def __init__(self, num_features: int = 2, hidden_size: int = 16, horizon: int = 3) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x: Tensor) -> Tensor:
        _, h_n = self.gru(x)
        return self.head(h_n[-1])


def build_model() -> nn.Module:
    return MultiStepForecaster().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 10, 2)
