"""A temporal-convolution classifier with LayerNorm over the channels of each step.

Layout: channels-first audio features x [B=4, C=10, T=11] (windows of 11 frames); output class
logits [B, 6]. The conv gives [B, 16, T]; LayerNorm normalises the 16 channels of every step, so
it runs on the transposed [B, T, 16] tensor.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

WINDOW = 11


class TCNClassifier(nn.Module):
    def __init__(self, in_channels: int = 10, channels: int = 16, num_classes: int = 6) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, channels, kernel_size=3, padding=1)
        self.norm = nn.LayerNorm(WINDOW)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv(x)  # [B, 16, T]
        h = self.norm(h)  # doctor: feature-axis
        return self.fc(torch.relu(h).mean(dim=2))


def build_model() -> nn.Module:
    return TCNClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 10, WINDOW)
