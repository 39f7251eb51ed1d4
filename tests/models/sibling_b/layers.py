"""Layers for sibling_b/model.py: `Block` is an alias of `TemporalConvBlock`, a Conv1d block.

This file and sibling_a/layers.py have the SAME module name `layers` and both export `Block`, but
define different classes; see sibling_b/model.py for the truths.
"""

import torch
import torch.nn as nn


class TemporalConvBlock(nn.Module):
    """Conv1d over time (same padding) + BatchNorm1d + ReLU, with a 1x1 conv residual path."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.BatchNorm1d(out_channels)
        self.act = nn.ReLU()
        self.residual = nn.Conv1d(in_channels, out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x))) + self.residual(x)


Block = TemporalConvBlock
