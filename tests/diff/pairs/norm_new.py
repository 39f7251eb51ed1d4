"""A tiny transformer-style encoder layer with RMSNorm."""

import torch
from torch import nn

D = 32


class EncoderLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(D, 4, batch_first=True)
        self.norm1 = nn.RMSNorm(D)
        self.ff = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, D))
        self.norm2 = nn.RMSNorm(D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ff(self.norm2(x))


def build_model() -> nn.Module:
    return EncoderLayer()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(2, 7, D),)
