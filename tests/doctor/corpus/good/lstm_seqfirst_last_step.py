"""A sequence-first nn.LSTM classifier over fixed-length sensor windows that reads out[-1].

Layout: sequence-first (nn.LSTM without batch_first). Input x [T=8, B=3, F=12]: every window
has exactly 8 readings, so there is no padding; output class logits [B, 5].

The output is [T, B, H], so out[-1] is every sequence's state after its last step (equal to
h_n[-1] for this one-layer LSTM).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class WindowClassifier(nn.Module):
    def __init__(self, num_features: int = 12, hidden_size: int = 20, num_classes: int = 5) -> None:
        super().__init__()
        self.lstm = nn.LSTM(num_features, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[-1])


def build_model() -> nn.Module:
    return WindowClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(8, 3, 12)
