"""Hugging Face Wav2Vec2Model: a strided conv feature encoder over raw audio, a conv positional embedding, transformer.

Layout: input_values [B=2, samples=1600] (raw waveform) and attention_mask [B, samples] (the
second clip is 1200 samples long, zero-padded); output Wav2Vec2BaseModelOutput:
last_hidden_state [B, frames=79, 64] and extract_features [B, frames, 32].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import Wav2Vec2Config, Wav2Vec2Model


def build_model() -> nn.Module:
    config = Wav2Vec2Config(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        conv_dim=(32, 32, 32),
        conv_stride=(5, 2, 2),
        conv_kernel=(10, 3, 3),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
    )
    return Wav2Vec2Model(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    attention_mask = torch.ones(2, 1600, dtype=torch.long)
    attention_mask[1, 1200:] = 0
    input_values = torch.randn(2, 1600) * attention_mask
    return {"input_values": input_values, "attention_mask": attention_mask}
