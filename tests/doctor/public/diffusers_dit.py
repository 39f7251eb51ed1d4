"""diffusers DiTTransformer2DModel: patchified latents, adaptive LayerNorm-Zero conditioned on timestep and class.

Inputs (keywords) hidden_states [B=2, C=4, 16, 16] (latents, patch 4), timestep [B] and
class_labels [B]; output Transformer2DModelOutput: sample [B, 8, 16, 16] (noise and variance).
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before diffusers, which imports torchvision)
import torch
from diffusers import DiTTransformer2DModel
from torch import Tensor, nn


def build_model() -> nn.Module:
    return DiTTransformer2DModel(
        num_attention_heads=4,
        attention_head_dim=16,
        in_channels=4,
        out_channels=8,
        num_layers=2,
        sample_size=16,
        patch_size=4,
        num_embeds_ada_norm=10,
        norm_num_groups=8,
    ).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {
        "hidden_states": torch.randn(2, 4, 16, 16),
        "timestep": torch.tensor([10, 500]),
        "class_labels": torch.tensor([3, 7]),
    }
