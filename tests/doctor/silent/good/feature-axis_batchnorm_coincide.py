"""A sensor-window classifier with BatchNorm on the raw features.

Layout: batch-first windows x [B=5, T=12, F=12] (12 steps of 12 sensor channels); output class
logits [B, 4]. BatchNorm1d normalises each of the F channels over batch and time, so it runs on
the transposed [B, F, T] tensor. The running statistics stand for a trained model.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SensorLSTM(nn.Module):
    def __init__(self, num_features: int = 12, hidden_size: int = 16, num_classes: int = 4) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features)
        self.lstm = nn.LSTM(num_features, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.bn(x.transpose(1, 2)).transpose(1, 2)
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    model = SensorLSTM()
    with torch.no_grad():  # statistics of a trained model
        model.bn.running_mean.copy_(torch.linspace(-2.0, 2.0, 12))
        model.bn.running_var.copy_(torch.linspace(0.25, 4.0, 12))
    return model.eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(5, 12, 12)
