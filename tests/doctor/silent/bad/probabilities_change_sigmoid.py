"""A tiny change-detection network for pairs of images, trained with nn.BCEWithLogitsLoss.

Layout: two images NCHW a, b [B=2, C=3, H=16, W=20]; output a per-pixel change logit map
[B, 1, H, W] (nn.BCEWithLogitsLoss applies the sigmoid itself).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

criterion = nn.BCEWithLogitsLoss()


class ChangeNet(nn.Module):
    def __init__(self, channels: int = 3, features: int = 8) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(channels, features, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.Conv2d(2 * features, features, 3, padding=1), nn.ReLU(), nn.Conv2d(features, 1, 1))

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        fa, fb = self.encoder(a), self.encoder(b)
        return torch.sigmoid(self.head(torch.cat([fa, torch.abs(fa - fb)], dim=1)))  # doctor: probabilities


def build_model() -> nn.Module:
    return ChangeNet().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(2, 3, 16, 20), torch.randn(2, 3, 16, 20)
