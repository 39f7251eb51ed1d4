"""A BiLSTM classifier with multi-dimensional (per-feature) attention pooling over time.

Layout: batch-first frames x [B=3, T=10, F=5]; output class logits [B, 4]. The attention layer
gives one score per step and feature [B, T, 2·H]; the weights are a softmax over time (dim 1),
so each feature's weights sum to one over the steps the sum then pools.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FeatureAttentionPool(nn.Module):
    def __init__(self, num_features: int = 5, hidden_size: int = 12, num_classes: int = 4) -> None:
        super().__init__()
        self.lstm = nn.LSTM(num_features, hidden_size, batch_first=True, bidirectional=True)
        self.attn = nn.Linear(2 * hidden_size, 2 * hidden_size)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.lstm(x)  # [B, T, 2H]
        weights = torch.softmax(self.attn(torch.tanh(h)), dim=-1)  # doctor: softmax-axis
        pooled = (weights * h).sum(dim=1)  # [B, 2H]
        return self.fc(pooled)


def build_model() -> nn.Module:
    return FeatureAttentionPool().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 10, 5)
