"""Channel-split blocks in the way of ShuffleNet V2: `branch1` is an empty `nn.Sequential` on blocks of
stride 1, which split the channels instead and never call it.

Layout: channels-first images [B=2, C=8, 12, 12]; output [B, 16, 6, 6].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ShuffleBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin), nn.Conv2d(cin, half, 1))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(cin if stride > 1 else half, half, 1), nn.ReLU(), nn.Conv2d(half, half, 3, stride, 1, groups=half)
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        b, c, h, w = out.shape
        return out.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)


def build_model() -> nn.Module:
    return nn.Sequential(ShuffleBlock(8, 16, 2), ShuffleBlock(16, 16, 1), ShuffleBlock(16, 16, 1)).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 8, 12, 12)
