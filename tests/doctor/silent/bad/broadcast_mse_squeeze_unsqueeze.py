"""An LSTM that predicts the next value of a series and returns its MSE loss (HF style).

Layout: batch-first x [B=5, T=6, F=3] and the true next values target [B]; output the mean
squared error (a scalar). The head gives predictions [B, 1]; the targets are lifted to [B, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class NextValueLSTM(nn.Module):
    def __init__(self, num_features: int = 3, hidden_size: int = 16) -> None:
        super().__init__()
        self.lstm = nn.LSTM(num_features, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: Tensor, target: Tensor) -> Tensor:
        _, (h_n, _) = self.lstm(x)
        pred = self.head(h_n[-1])  # [B, 1]
        return F.mse_loss(pred.squeeze(), target.unsqueeze(1))  # doctor: broadcast


def build_model() -> nn.Module:
    return NextValueLSTM().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(5, 6, 3), torch.randn(5)
