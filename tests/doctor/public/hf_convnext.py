"""Hugging Face ConvNextForImageClassification: depthwise 7×7 convs, channels-last LayerNorm, layer scale.

Inputs (keywords) pixel_values [B=2, C=3, 64, 64]; output ImageClassifierOutputWithNoAttention: logits [B, 10].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import ConvNextConfig, ConvNextForImageClassification


def build_model() -> nn.Module:
    config = ConvNextConfig(hidden_sizes=[16, 32, 64, 128], depths=[1, 1, 2, 1], num_labels=10)
    return ConvNextForImageClassification(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"pixel_values": torch.randn(2, 3, 64, 64)}
