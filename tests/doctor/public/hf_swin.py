"""Hugging Face SwinForImageClassification: windowed attention with shifted windows and patch merging.

Inputs (keywords) pixel_values [B=2, C=3, 64, 64] (patch 4 → a 16×16 grid, window 4, three stages
down to 4×4); output SwinImageClassifierOutput: logits [B, 10].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import SwinConfig, SwinForImageClassification


def build_model() -> nn.Module:
    config = SwinConfig(
        image_size=64,
        patch_size=4,
        embed_dim=32,
        depths=[2, 2, 2],
        num_heads=[2, 4, 8],
        window_size=4,
        num_labels=10,
    )
    return SwinForImageClassification(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"pixel_values": torch.randn(2, 3, 64, 64)}
