"""A transformer-style block with a hand-written LayerNorm (before TorchScript had one).

Layout: batch-first x [B=4, T=7, E=12]; output per-step features [B, T, E]. LayerNorm takes
the mean and variance of each token's own E=12 features (dim -1).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class HandLayerNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x: Tensor) -> Tensor:
        mean, var = x.mean(0, keepdim=True), x.var(0, keepdim=True, unbiased=False)  # doctor: batch-mix
        return self.gamma * (x - mean) / torch.sqrt(var + self.eps) + self.beta


class FFNBlock(nn.Module):
    def __init__(self, dim: int = 12) -> None:
        super().__init__()
        self.norm = HandLayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.ffn(self.norm(x))


def build_model() -> nn.Module:
    return FFNBlock().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 7, 12)
