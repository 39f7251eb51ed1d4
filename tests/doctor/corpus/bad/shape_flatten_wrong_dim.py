"""A small image classifier: two conv blocks, flatten, a linear head.

Layout: images NCHW. Input [B=4, C=3, H=12, W=14]; output class logits [B, 10].
After the second pooling the features are [B, 24, 3, 3].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ConvNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 24, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(24)
        self.fc = nn.Linear(24 * 3 * 3, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)  # [B, 16, 6, 7]
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)  # [B, 24, 3, 3]
        x = x.view(x.size(1), -1)  # doctor: shape-clash
        return self.fc(x)


def build_model() -> nn.Module:
    return ConvNet().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 3, 12, 14)
