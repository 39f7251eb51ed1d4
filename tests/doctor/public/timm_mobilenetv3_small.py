"""timm `mobilenetv3_small_100` (random init, pretrained=False).

MobileNetV3-Small: inverted residuals, hard-swish, SE, a conv head after pooling.

Input images [B=2, C=3, 64, 64]; output logits [B, 1000].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before timm, which imports torchvision)
import timm
import torch
from torch import Tensor, nn


def build_model() -> nn.Module:
    return timm.create_model("mobilenetv3_small_100", pretrained=False).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 64, 64)
