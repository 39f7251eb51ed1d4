"""Hugging Face HubertModel (base layout: group-norm conv feature encoder, post-norm transformer).

Layout: input_values [B=2, samples=1600] (raw waveform); output BaseModelOutput:
last_hidden_state [B, frames=79, 64]. (Base HuBERT is used without an attention mask.)
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import HubertConfig, HubertModel


def build_model() -> nn.Module:
    config = HubertConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        conv_dim=(32, 32, 32),
        conv_stride=(5, 2, 2),
        conv_kernel=(10, 3, 3),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        feat_extract_norm="group",
    )
    return HubertModel(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    return {"input_values": torch.randn(2, 1600)}
