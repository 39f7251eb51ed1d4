"""A batch-first GRU classifier with a hand-written RMSNorm on its final state.

Layout: batch-first. Input features x [B=3, T=10, F=6] (equal lengths); output class logits
[B, 4]. RMSNorm is meant to scale each sample's state by the root mean square of its own
features: x / sqrt(mean_j x_j² + ε) ⊙ w.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        rms = x.pow(2).mean(dim=0, keepdim=True).add(self.eps).sqrt()  # doctor: batch-mix
        return x / rms * self.weight


class NormedGRUClassifier(nn.Module):
    def __init__(self, num_features: int = 6, hidden_size: int = 24, num_classes: int = 4) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.norm = RMSNorm(hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        _, h_n = self.gru(x)
        return self.fc(self.norm(h_n[-1]))


def build_model() -> nn.Module:
    return NormedGRUClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 10, 6)
