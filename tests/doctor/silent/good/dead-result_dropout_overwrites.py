"""A residual 1-D convolution block (speech front end) with a 1×1 shortcut and dropout.

Layout: channels-first features x [B=3, C=16, T=14]; output [B, 16, T]. The block computes
out = conv(x) + shortcut(x) and applies dropout to that sum.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvBlock(nn.Module):
    def __init__(self, in_channels: int = 16, channels: int = 16) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(in_channels, channels, 3, padding=1), nn.ReLU(), nn.Conv1d(channels, channels, 3, padding=1)
        )
        self.shortcut = nn.Conv1d(in_channels, channels, 1)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        out = out + self.shortcut(x)
        out = self.drop(out)
        return torch.relu(out)


def build_model() -> nn.Module:
    return ConvBlock().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 16, 14)
