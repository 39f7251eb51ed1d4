"""A sequence-first BiLSTM classifier with mean pooling over time.

Layout: sequence-first (nn.LSTM without batch_first). Input x [T=9, B=4, F=7]; output class
logits [B, 5]. The LSTM output is [T, B, 2·H]; mean pooling runs over time, dim 0.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MeanPoolBiLSTM(nn.Module):
    def __init__(self, num_features: int = 7, hidden_size: int = 12, num_classes: int = 5) -> None:
        super().__init__()
        self.lstm = nn.LSTM(num_features, hidden_size, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x)  # [T, B, 2H]
        pooled = out.mean(dim=1)  # doctor: batch-axis
        return self.fc(pooled)


def build_model() -> nn.Module:
    return MeanPoolBiLSTM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(9, 4, 7)
