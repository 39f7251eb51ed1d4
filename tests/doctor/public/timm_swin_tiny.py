"""timm `swin_tiny_patch4_window7_224` (random init, pretrained=False).

Swin-T at 64×64 with 4×4 windows: shifted-window attention with relative position bias, patch
merging.

Input images [B=2, C=3, 64, 64]; output logits [B, 1000].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before timm, which imports torchvision)
import timm
import torch
from torch import Tensor, nn


def build_model() -> nn.Module:
    return timm.create_model("swin_tiny_patch4_window7_224", pretrained=False, img_size=64, window_size=4).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 64, 64)
