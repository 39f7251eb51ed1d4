"""A frame-wise CNN followed by a GRU over time: a small video clip classifier.

Layout: clips x [B=2, C=3, T=5, H=12, W=10] (channels before time, as torchvision's video models
take them); output class logits [B, 4]. Every frame [C, H, W] goes through the same Conv2d stack,
so the clip is permuted to [B, T, C, H, W] and then reshaped to [B·T, C, H, W].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FrameGRU(nn.Module):
    def __init__(self, channels: int = 3, features: int = 16, hidden_size: int = 20, num_classes: int = 4) -> None:
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(channels, features, kernel_size=3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1)
        )
        self.gru = nn.GRU(features, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, clip: Tensor) -> Tensor:
        b, c, t, h, w = clip.shape
        frames = clip.view(b * t, c, h, w)  # doctor: axes-scrambled
        feats = self.cnn(frames).flatten(1).view(b, t, -1)  # [B, T, 16]
        _, h_n = self.gru(feats)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    return FrameGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 5, 12, 10)
