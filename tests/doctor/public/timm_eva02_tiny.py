"""timm `eva02_tiny_patch14_224` (random init, pretrained=False).

EVA-02 Tiny/14 at 56×56: rotary position embedding in attention, SwiGLU MLP.

Input images [B=2, C=3, 56, 56]; output pooled features [B, 192] (this
configuration ships without a classifier head: num_classes=0).
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before timm, which imports torchvision)
import timm
import torch
from torch import Tensor, nn


def build_model() -> nn.Module:
    return timm.create_model("eva02_tiny_patch14_224", pretrained=False, img_size=56).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 56, 56)
