"""The twin of bad_module_softmax_pool: nn.Softmax(dim=1) normalises over the time steps it pools."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AttentivePool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(6, 10, batch_first=True)
        self.score = nn.Linear(10, 1)
        self.normalise = nn.Softmax(dim=1)
        self.fc = nn.Linear(10, 4)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.rnn(x)
        weights = self.normalise(self.score(h))
        return self.fc(torch.sum(weights * h, dim=1))


def build_model() -> nn.Module:
    return AttentivePool().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 8, 6)
