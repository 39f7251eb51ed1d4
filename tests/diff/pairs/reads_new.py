"""Two branches over one input; the head reads the right one."""

import torch
from torch import nn


class TwoBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.left = nn.Linear(8, 8)
        self.right = nn.Sequential(nn.Linear(8, 8), nn.Tanh())
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.left(x)
        b = self.right(x)
        return self.head(b), a


def build_model() -> nn.Module:
    return TwoBranch()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(3, 8),)
