"""A 1-D CNN forecaster over windows of a multivariate series.

Layout: batch-first windows x [B=4, T=16, F=5]; output the next value of the target series
[B, 1]. Conv1d wants [B, channels, length]: the F=5 variables are the channels and the T=16
steps the length, so the window is transposed to [B, F, T] first.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

WINDOW = 16


class CNNForecaster(nn.Module):
    def __init__(self, num_features: int = 5, channels: int = 16) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(num_features, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.head = nn.Linear(channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv(x.transpose(1, 2))
        return self.head(h.flatten(1))


def build_model() -> nn.Module:
    return CNNForecaster().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, WINDOW, 5)
