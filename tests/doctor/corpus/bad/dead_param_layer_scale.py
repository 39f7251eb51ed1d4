"""A small ConvNeXt-style CNN whose residual blocks carry a learnable layer scale γ.

Layout: images NCHW. Input [B=4, C=3, H=18, W=22]; output class logits [B, 8].
Each block is meant to compute x + γ ⊙ pointwise(GELU(pointwise(LN(depthwise(x))))).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvNeXtBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 7, padding=3, groups=channels)
        self.norm = nn.LayerNorm(channels)
        self.expand = nn.Linear(channels, 4 * channels)
        self.act = nn.GELU()
        self.project = nn.Linear(4 * channels, channels)
        self.gamma = nn.Parameter(1e-2 * torch.ones(channels))  # doctor: dead-param

    def forward(self, x: Tensor) -> Tensor:
        h = self.depthwise(x).permute(0, 2, 3, 1)  # [B, H, W, C]
        h = self.project(self.act(self.expand(self.norm(h))))
        return x + h.permute(0, 3, 1, 2)


class TinyConvNeXt(nn.Module):
    def __init__(self, num_classes: int = 8) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, kernel_size=2, stride=2)
        self.blocks = nn.Sequential(ConvNeXtBlock(16), ConvNeXtBlock(16))
        self.head = nn.Linear(16, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.blocks(self.stem(x))
        return self.head(x.mean(dim=(2, 3)))


def build_model() -> nn.Module:
    return TinyConvNeXt()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 3, 18, 22)
