"""diffusers UNet2DConditionModel (Stable Diffusion layout): cross-attention transformer blocks over text states.

Inputs (keywords) sample [B=2, C=4, 16, 16] (latents), timestep [B] and encoder_hidden_states
[B, T=7, 32] (text-encoder output); output UNet2DConditionOutput: sample [B, 4, 16, 16].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before diffusers, which imports torchvision)
import torch
from diffusers import UNet2DConditionModel
from torch import Tensor, nn


def build_model() -> nn.Module:
    return UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    ).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {
        "sample": torch.randn(2, 4, 16, 16),
        "timestep": torch.tensor([10, 500]),
        "encoder_hidden_states": torch.randn(2, 7, 32),
    }
