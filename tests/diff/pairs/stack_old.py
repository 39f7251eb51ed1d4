"""A stack of identical residual MLP layers (11 of them), with a BatchNorm stem."""

import torch
from torch import nn

LAYERS = 11


class Layer(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.lin = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.lin(x))


class Stack(nn.Module):
    def __init__(self, d: int = 16) -> None:
        super().__init__()
        self.stem = nn.BatchNorm1d(d)
        self.layers = nn.ModuleList([Layer(d) for _ in range(LAYERS)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return x


def build_model() -> nn.Module:
    return Stack()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(4, 16),)
