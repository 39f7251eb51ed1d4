"""A temporal block in the way of locuslab's TCN: hook-based `weight_norm` convolutions, registered
as attributes and again inside `self.net`, which forward calls.

Layout: channels-first sequences [B=2, C=3, L=20]; output [B, 8, L].
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    from torch.nn.utils import weight_norm


class Chomp(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, x: Tensor) -> Tensor:
        return x[:, :, : -self.n].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, cin: int = 3, cout: int = 8, k: int = 3, dilation: int = 2) -> None:
        super().__init__()
        pad = (k - 1) * dilation
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            self.conv1 = weight_norm(nn.Conv1d(cin, cout, k, padding=pad, dilation=dilation))
            self.conv2 = weight_norm(nn.Conv1d(cout, cout, k, padding=pad, dilation=dilation))
        self.chomp1, self.chomp2 = Chomp(pad), Chomp(pad)
        self.relu1, self.relu2 = nn.ReLU(), nn.ReLU()
        self.net = nn.Sequential(self.conv1, self.chomp1, self.relu1, self.conv2, self.chomp2, self.relu2)
        self.downsample = nn.Conv1d(cin, cout, 1)

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.net(x) + self.downsample(x))


def build_model() -> nn.Module:
    return TemporalBlock().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 20)
