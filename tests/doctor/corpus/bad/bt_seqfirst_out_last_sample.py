"""A sequence-first nn.LSTM classifier over fixed-length sensor windows.

Layout: sequence-first (nn.LSTM without batch_first). Input x [T=8, B=3, F=10], no padding;
meant to output class logits [B, 5] for nn.CrossEntropyLoss.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SensorClassifier(nn.Module):
    def __init__(self, num_features: int = 10, hidden_size: int = 24, num_classes: int = 5) -> None:
        super().__init__()
        self.lstm = nn.LSTM(num_features, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x)
        last = out[:, -1, :]  # doctor: batch-time
        return self.fc(last)


def build_model() -> nn.Module:
    return SensorClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(8, 3, 10)
