"""timm `mixer_s16_224` (random init, pretrained=False).

MLP-Mixer S/16 at 64×64: token-mixing MLPs over the transposed patch axis, channel-mixing MLPs.

Input images [B=2, C=3, 64, 64]; output logits [B, 1000].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before timm, which imports torchvision)
import timm
import torch
from torch import Tensor, nn


def build_model() -> nn.Module:
    return timm.create_model("mixer_s16_224", pretrained=False, img_size=64).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 64, 64)
