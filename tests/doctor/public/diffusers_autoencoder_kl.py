"""diffusers AutoencoderKL (the Stable Diffusion VAE layout): encoder to a diagonal Gaussian, mode, decoder.

Inputs (keywords) sample [B=2, C=3, 32, 32] (sample_posterior stays False: the decoder reads the
posterior's mode); output DecoderOutput: sample [B, 3, 32, 32].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before diffusers, which imports torchvision)
import torch
from diffusers import AutoencoderKL
from torch import Tensor, nn


def build_model() -> nn.Module:
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(32, 64),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=32,
    ).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"sample": torch.randn(2, 3, 32, 32)}
