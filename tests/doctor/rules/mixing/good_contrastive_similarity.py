"""A SimCLR-style projection head that returns, for each sample, a distribution over the other samples
of its batch: the softmax over one batch axis of the [B, B] similarities is what contrastive learning
means.

Layout: features [B=6, 20]; output [B, B] (row i: how similar sample i is to each sample j).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Projection(nn.Module):
    def __init__(self, dim: int = 20, out: int = 8, temperature: float = 0.5) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(dim, 16), nn.ReLU(), nn.Linear(16, out))
        self.temperature = temperature

    def forward(self, x: Tensor) -> Tensor:
        z = F.normalize(self.proj(x), dim=1)
        similarity = z @ z.t() / self.temperature
        return torch.softmax(similarity, dim=1)


def build_model() -> nn.Module:
    return Projection().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(6, 20)
