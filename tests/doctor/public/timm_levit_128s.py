"""timm `levit_128s` (random init, pretrained=False).

LeViT-128S at 64×64: conv stem, attention with learned biases, attention subsampling, distilled
heads.

Input images [B=2, C=3, 64, 64]; output logits [B, 1000].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before timm, which imports torchvision)
import timm
import torch
from torch import Tensor, nn


def build_model() -> nn.Module:
    return timm.create_model("levit_128s", pretrained=False, img_size=64).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 64, 64)
