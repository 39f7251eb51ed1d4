"""A BiLSTM sentence classifier that takes h_n[-1] as "the" final state.

Layout: batch-first x [B=4, T=7, F=5]; output logits [B, 3]. For a bidirectional LSTM h_n[-1] is the
reverse direction's final state; the forward one, h_n[-2], is never read.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BiLSTMClassifier(nn.Module):
    def __init__(self, num_features: int = 5, hidden_size: int = 9, num_classes: int = 3) -> None:
        super().__init__()
        self.lstm = nn.LSTM(num_features, hidden_size, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])  # expect: bidirectional


def build_model() -> nn.Module:
    return BiLSTMClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 7, 5)
