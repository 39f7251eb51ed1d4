"""A binary segmentation network that returns sigmoid probabilities and is trained with F.binary_cross_entropy
(which expects probabilities): the sigmoid belongs in the model.

Layout: images NCHW [B=2, 3, 16, 16]; output a foreground probability map [B, 1, 16, 16].
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
        return torch.sigmoid(self.mask(self.body(images)))


def training_step(model: nn.Module, images: Tensor, target: Tensor) -> Tensor:
    return F.binary_cross_entropy(model(images), target)


def build_model() -> nn.Module:
    return TinySegmenter().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 16, 16)
