"""Inverted-residual blocks in the way of timm's and torchvision's EfficientNet: stochastic depth
(`drop_path`, an `nn.Identity` when its rate is 0) applies to the residual branch, so blocks that
change the width or stride (no skip) never call it.

Layout: channels-first images [B=2, C=8, 16, 16]; output [B, 24, 8, 8].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class DropPath(nn.Module):
    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand(x.shape[0], 1, 1, 1) >= self.p
        return x * keep / (1 - self.p)


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, drop: float) -> None:
        super().__init__()
        self.has_skip = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, cin * 4, 1),
            nn.ReLU6(),
            nn.Conv2d(cin * 4, cin * 4, 3, stride, 1, groups=cin * 4),
            nn.ReLU6(),
            nn.Conv2d(cin * 4, cout, 1),
        )
        self.drop_path = DropPath(drop) if drop > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv(x)
        if self.has_skip:
            y = self.drop_path(y) + x
        return y


def build_model() -> nn.Module:
    blocks = [InvertedResidual(8, 8, 1, 0.0), InvertedResidual(8, 24, 2, 0.05), InvertedResidual(24, 24, 1, 0.1)]
    return nn.Sequential(*blocks).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 8, 16, 16)
