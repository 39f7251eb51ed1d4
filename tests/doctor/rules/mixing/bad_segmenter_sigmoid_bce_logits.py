"""A binary segmentation network trained with F.binary_cross_entropy_with_logits, which returns
sigmoid probabilities.

Layout: images NCHW [B=2, 3, 16, 16]; output a foreground map [B, 1, 16, 16]. The training step below
gives those probabilities to a loss that applies the sigmoid itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class TinySegmenter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.mask = nn.Conv2d(8, 1, 1)

    def forward(self, images: Tensor) -> Tensor:
        return torch.sigmoid(self.mask(self.body(images)))  # expect: probabilities


def training_step(model: nn.Module, images: Tensor, target: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(model(images), target)


def build_model() -> nn.Module:
    return TinySegmenter().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 16, 16)
