"""A tabular MLP with BatchNorm1d and a LayerNorm residual block, built in training mode.

Layout: per-sample rows. Input x [B=4, F=15]; output class logits [B, 3].
build_model returns the model in training mode on purpose: BatchNorm1d then normalises each
feature with the statistics of the current batch, which is how BatchNorm trains (it is meant to
look across the batch); LayerNorm normalises each sample over its own features.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ResidualBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)
        self.act = nn.GELU()

    def forward(self, x: Tensor) -> Tensor:
        return x + self.act(self.fc(self.norm(x)))


class TabularMLP(nn.Module):
    def __init__(self, num_features: int = 15, hidden: int = 32, num_classes: int = 3) -> None:
        super().__init__()
        self.input = nn.Sequential(nn.Linear(num_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU())
        self.blocks = nn.Sequential(ResidualBlock(hidden), ResidualBlock(hidden))
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.blocks(self.input(x)))


def build_model() -> nn.Module:
    return TabularMLP().train()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 15)
