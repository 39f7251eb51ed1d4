"""A stack of three MLP blocks, each defining a LayerNorm its forward never applies.

Layout: x [B=2, T=4, D=12]; output [B, T, D].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Block(nn.Module):
    def __init__(self, dim: int = 12) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)  # doctor: dead-module
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mlp(x)


class Stack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block() for _ in range(3))

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x


def build_model() -> nn.Module:
    return Stack().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 4, 12)
