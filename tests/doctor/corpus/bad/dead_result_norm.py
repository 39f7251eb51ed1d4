"""A batch-first GRU encoder with mean pooling and a normalised classifier input.

Layout: batch-first. Input features x [B=3, T=8, F=11] (equal lengths); output class logits
[B, 6]. The pooled vector is meant to go through LayerNorm before the head.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PooledGRUClassifier(nn.Module):
    def __init__(self, num_features: int = 11, hidden_size: int = 20, num_classes: int = 6) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.norm = nn.LayerNorm(hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.gru(x)
        pooled = out.mean(dim=1)  # [B, H]
        normed = self.norm(pooled)  # doctor: dead-result
        return self.fc(pooled)


def build_model() -> nn.Module:
    return PooledGRUClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 8, 11)
