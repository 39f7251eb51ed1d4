"""A CNN-LSTM activity classifier over multichannel sensor windows.

Layout: channels-first sensor windows x [B=4, C=6, T=20]; output class logits [B, 5].
Conv1d makes features [B, 16, T]; the batch-first LSTM needs [B, T, 16], so the conv features
are transposed (channels and time swap places) before they are made contiguous.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvLSTMClassifier(nn.Module):
    def __init__(self, in_channels: int = 6, conv_channels: int = 16, hidden: int = 24, num_classes: int = 5) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(in_channels, conv_channels, kernel_size=3, padding=1), nn.ReLU())
        self.lstm = nn.LSTM(conv_channels, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        feats = self.conv(x)  # [B, 16, T]
        b, c, t = feats.shape
        steps = feats.view(b, t, c)  # doctor: axes-scrambled
        _, (h_n, _) = self.lstm(steps)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    return ConvLSTMClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 6, 20)
