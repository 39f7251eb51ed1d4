"""diffusers UNet2DModel (DDPM-style): timestep embedding, ResNet blocks, a self-attention down/up block, skips.

Inputs (keywords) sample [B=2, C=3, 32, 32] (noisy images) and timestep [B] (one diffusion
step per sample); output UNet2DOutput: sample [B, 3, 32, 32] (the predicted noise).
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before diffusers, which imports torchvision)
import torch
from diffusers import UNet2DModel
from torch import Tensor, nn


def build_model() -> nn.Module:
    return UNet2DModel(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=8,
        attention_head_dim=16,
    ).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"sample": torch.randn(2, 3, 32, 32), "timestep": torch.tensor([10, 500])}
