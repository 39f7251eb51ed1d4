"""The twin of bad_sagan_missing_permute: bmm(value, attention.permute(0, 2, 1)) sums over the keys."""

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
        q = self.query(x).view(b, -1, h * w).permute(0, 2, 1)
        k = self.key(x).view(b, -1, h * w)
        attention = self.softmax(torch.bmm(q, k))
        v = self.value(x).view(b, -1, h * w)
        out = torch.bmm(v, attention.permute(0, 2, 1)).view(b, c, h, w)
        return self.gamma * out + x


def build_model() -> nn.Module:
    return SelfAttention2d().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 16, 4, 5)
