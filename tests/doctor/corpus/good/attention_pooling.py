"""A BiGRU classifier with additive attention pooling: softmax over the time axis.

Layout: batch-first. Input frame features x [B=3, T=8, F=11] (equal lengths); output class
logits [B, 5]. Scores are [B, T] and the softmax runs over dim=1 (time), so each sample's
weights sum to one over its own steps; samples are never mixed.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AttentionPoolingClassifier(nn.Module):
    def __init__(self, num_features: int = 11, hidden_size: int = 16, attn_dim: int = 24, num_classes: int = 5) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden_size, attn_dim)
        self.score = nn.Linear(attn_dim, 1, bias=False)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.gru(x)  # [B, T, 2H]
        scores = self.score(torch.tanh(self.proj(h))).squeeze(-1)  # [B, T]
        weights = torch.softmax(scores, dim=1)
        pooled = torch.sum(weights.unsqueeze(-1) * h, dim=1)  # [B, 2H]
        return self.fc(pooled)


def build_model() -> nn.Module:
    return AttentionPoolingClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 8, 11)
