"""A classifier with a batch norm written by hand, run in training mode: the batch statistics are the
point (and they are kept as running statistics for evaluation).

Layout: features [B=8, 10]; output class logits [B, 3].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class HandBatchNorm(nn.Module):
    def __init__(self, dim: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.register_buffer("running_mean", torch.zeros(dim))
        self.register_buffer("running_var", torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
        else:
            mean, var = self.running_mean, self.running_var
        return self.weight * (x - mean) / torch.sqrt(var + self.eps) + self.bias


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.norm = HandBatchNorm(32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(torch.relu(self.norm(self.fc1(x))))


def build_model() -> nn.Module:
    return Classifier().train()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(8, 10)
