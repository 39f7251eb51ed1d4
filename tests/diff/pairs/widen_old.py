"""A small MLP classifier: 16 features → 32 hidden → 4 classes."""

import torch
from torch import nn

HIDDEN = 32


class Classifier(nn.Module):
    def __init__(self, features: int = 16, hidden: int = HIDDEN, classes: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def build_model() -> nn.Module:
    return Classifier()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(8, 16),)
