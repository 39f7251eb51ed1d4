"""A GRU classifier with additive attention pooling over time.

Layout: batch-first frames x [B=4, T=9, F=6]; output class logits [B, 3]. The scorer gives
[B, T, 1]; the weights are a softmax over time (dim 1) and pool the states into [B, H].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AttentivePoolGRU(nn.Module):
    def __init__(self, num_features: int = 6, hidden_size: int = 16, num_classes: int = 3) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.score = nn.Sequential(nn.Linear(hidden_size, hidden_size), nn.Tanh(), nn.Linear(hidden_size, 1))
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.gru(x)  # [B, T, H]
        scores = self.score(h)  # [B, T, 1]
        weights = torch.softmax(scores, dim=-1)  # doctor: softmax-axis
        pooled = (weights * h).sum(dim=1)
        return self.fc(pooled)


def build_model() -> nn.Module:
    return AttentivePoolGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 9, 6)
