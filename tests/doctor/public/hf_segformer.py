"""Hugging Face SegformerForSemanticSegmentation (MiT-b0 layout): spatial-reduction attention, MLP decoder.

Inputs (keywords) pixel_values [B=2, C=3, 64, 64]; output SemanticSegmenterOutput: logits
[B, 4, 16, 16] (a quarter of the input resolution, as Segformer predicts).
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import SegformerConfig, SegformerForSemanticSegmentation


def build_model() -> nn.Module:
    config = SegformerConfig(depths=[1, 1, 1, 1], decoder_hidden_size=64, num_labels=4)
    return SegformerForSemanticSegmentation(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"pixel_values": torch.randn(2, 3, 64, 64)}
