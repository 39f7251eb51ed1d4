"""A click-through-rate model whose forward pass returns the sample-weighted BCE loss.

Layout: dense features x [B=6, F=9], click labels y [B, 1] and per-sample weights w [B]; output
the weighted mean loss (a scalar). The unreduced loss is [B, 1], so the weights are lifted to
[B, 1] before they multiply it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class WeightedCTR(nn.Module):
    def __init__(self, num_features: int = 9, hidden_size: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(num_features, hidden_size), nn.ReLU(), nn.Linear(hidden_size, 1))

    def forward(self, x: Tensor, y: Tensor, w: Tensor) -> Tensor:
        logits = self.net(x)  # [B, 1]
        loss = F.binary_cross_entropy_with_logits(logits, y, reduction="none")  # [B, 1]
        return (loss * w).mean()  # doctor: broadcast


def build_model() -> nn.Module:
    return WeightedCTR().eval()


def example_inputs() -> tuple[Tensor, Tensor, Tensor]:
    torch.manual_seed(0)
    x = torch.randn(6, 9)
    y = torch.randint(0, 2, (6, 1)).float()
    w = torch.tensor([1.0, 0.5, 2.0, 1.0, 0.1, 3.0])
    return x, y, w
