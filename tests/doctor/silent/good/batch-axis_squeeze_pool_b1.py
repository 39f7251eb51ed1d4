"""A small CNN image classifier used on one image at a time.

Layout: images NCHW x [B=1, C=3, H=20, W=16] (single-image inference); output class logits
[B, 10]. Global average pooling gives [B, 32, 1, 1], flattened from dim 1 to [B, 32].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SmallCNN(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(32, num_classes)

    def forward(self, images: Tensor) -> Tensor:
        x = self.features(images)  # [B, 32, 1, 1]
        x = torch.flatten(x, 1)
        return self.classifier(x)


def build_model() -> nn.Module:
    return SmallCNN().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(1, 3, 20, 16)
