"""SAGAN-style self-attention over feature-map positions, with the attention map not transposed.

Layout: x [B=2, C=16, H=4, W=5]; output [B, C, H, W]. attention [B, N, N] (N = H·W) sums to one over its
last axis (keys); bmm(value [B, C, N], attention) contracts attention's first N axis (queries) instead.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SelfAttention2d(nn.Module):
    def __init__(self, channels: int = 16) -> None:
        super().__init__()
        self.query = nn.Conv2d(channels, channels // 8, 1)
        self.key = nn.Conv2d(channels, channels // 8, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        q = self.query(x).view(b, -1, h * w).permute(0, 2, 1)  # [B, N, C']
        k = self.key(x).view(b, -1, h * w)  # [B, C', N]
        attention = self.softmax(torch.bmm(q, k))  # expect: softmax-axis
        v = self.value(x).view(b, -1, h * w)  # [B, C, N]
        out = torch.bmm(v, attention).view(b, c, h, w)
        return self.gamma * out + x


def build_model() -> nn.Module:
    return SelfAttention2d().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 16, 4, 5)
