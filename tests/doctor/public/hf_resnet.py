"""Hugging Face ResNetForImageClassification: ResNet-50-style bottleneck stages (smaller widths).

Inputs (keywords) pixel_values [B=2, C=3, 64, 64]; output ImageClassifierOutputWithNoAttention: logits [B, 10].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import ResNetConfig, ResNetForImageClassification


def build_model() -> nn.Module:
    config = ResNetConfig(
        embedding_size=16,
        hidden_sizes=[32, 64, 128, 256],
        depths=[1, 1, 1, 1],
        layer_type="bottleneck",
        num_labels=10,
    )
    return ResNetForImageClassification(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"pixel_values": torch.randn(2, 3, 64, 64)}
