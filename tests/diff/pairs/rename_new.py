"""An encoder whose feed-forward part is called `mlp`."""

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, d: int = 20) -> None:
        super().__init__()
        self.proj = nn.Linear(12, d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.Tanh(), nn.Linear(2 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(x)
        return h + self.mlp(h)


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.out = nn.Linear(20, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.encoder(x))


def build_model() -> nn.Module:
    return Model()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(4, 12),)
