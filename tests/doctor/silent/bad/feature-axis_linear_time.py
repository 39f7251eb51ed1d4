"""A conv front end with a per-step projection and mean pooling: a keyword-spotting classifier.

Layout: channels-first MFCC frames x [B=3, C=13, T=14]; output class logits [B, 5]. The conv
gives [B, 8, T]; the projection maps the 8 channels of every step to H=12, so it runs on the
transposed [B, T, 8] tensor, and the steps are then averaged.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

FRAMES = 14


class ConvProjectPool(nn.Module):
    def __init__(self, in_channels: int = 13, channels: int = 8, hidden_size: int = 12, num_classes: int = 5) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, channels, kernel_size=3, padding=1)
        self.proj = nn.Linear(FRAMES, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.relu(self.conv(x))  # [B, 8, T]
        h = torch.relu(self.proj(h))  # doctor: feature-axis
        return self.fc(h.mean(dim=1))


def build_model() -> nn.Module:
    return ConvProjectPool().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 13, FRAMES)
