"""A face-embedding CNN whose embeddings are L2-normalised across the batch.

Layout: images NCHW [B=4, 3, 24, 24]; output unit-length embeddings [B, 16]. The normalisation runs
over dim 0 (the batch) instead of the 16 features of each face.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class FaceNet(nn.Module):
    def __init__(self, embed: int = 16) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.embed = nn.Linear(16, embed)

    def forward(self, images: Tensor) -> Tensor:
        z = self.embed(self.features(images).flatten(1))
        return F.normalize(z, p=2.0, dim=0)  # expect: batch-mix


def build_model() -> nn.Module:
    return FaceNet().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 3, 24, 24)
