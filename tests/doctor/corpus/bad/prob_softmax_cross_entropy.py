"""A small image classifier trained with nn.CrossEntropyLoss.

Layout: images NCHW. Input [B=4, C=3, H=16, W=18]; meant to output class logits [B, 7]
(nn.CrossEntropyLoss applies log_softmax itself).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SmallCNN(nn.Module):
    def __init__(self, num_classes: int = 7) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 12, 3, padding=1),
            nn.BatchNorm2d(12),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(12, 24, 3, padding=1),
            nn.BatchNorm2d(24),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(24, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = torch.flatten(self.features(x), 1)
        return F.softmax(self.fc(x), dim=1)  # doctor: probabilities


def build_model() -> nn.Module:
    return SmallCNN().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 3, 16, 18)
