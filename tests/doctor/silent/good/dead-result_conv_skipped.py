"""A two-convolution residual block used at the bottleneck of an image-to-image network.

Layout: feature maps x [B=2, C=8, H=12, W=10]; output [B, C, H, W]. The second convolution
reads the first one's output, and the input is added back at the end.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ResidualBlock(nn.Module):
    def __init__(self, channels: int = 8) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        out = torch.relu(self.conv1(x))
        out = self.conv2(out)
        return torch.relu(out + x)


def build_model() -> nn.Module:
    return ResidualBlock().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 8, 12, 10)
