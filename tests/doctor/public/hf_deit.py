"""Hugging Face DeiTForImageClassificationWithTeacher: [CLS] and distillation tokens, two heads averaged.

Inputs (keywords) pixel_values [B=2, C=3, 32, 32] (patch 8); output
DeiTForImageClassificationWithTeacherOutput: logits [B, 10], cls_logits and distillation_logits.
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import DeiTConfig, DeiTForImageClassificationWithTeacher


def build_model() -> nn.Module:
    config = DeiTConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        image_size=32,
        patch_size=8,
        num_labels=10,
    )
    return DeiTForImageClassificationWithTeacher(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"pixel_values": torch.randn(2, 3, 32, 32)}
