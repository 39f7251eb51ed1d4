"""A batch-first GRU classifier with attention pooling over its time steps.

Layout: batch-first. Input features x [B=4, T=9, F=7] (equal lengths); output class logits
[B, 5]. Scores are [B, T]; the weights are meant to sum to one over each sample's steps.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AttentiveGRU(nn.Module):
    def __init__(self, num_features: int = 7, hidden_size: int = 20, num_classes: int = 5) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.score = nn.Linear(hidden_size, 1)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.gru(x)  # [B, T, H]
        scores = self.score(h).squeeze(-1)  # [B, T]
        weights = torch.softmax(scores, dim=0)  # doctor: batch-mix
        pooled = (weights.unsqueeze(-1) * h).sum(dim=1)
        return self.fc(pooled)


def build_model() -> nn.Module:
    return AttentiveGRU()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 9, 7)
