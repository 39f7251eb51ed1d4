"""Hugging Face BlipForConditionalGeneration: a ViT image encoder and a BERT-style text decoder with cross-attention.

Inputs (keywords) pixel_values [B=2, C=3, 32, 32] (patch 8), input_ids [B, T=8] (caption
tokens, the first one the BOS id 30) and attention_mask [B, T] (the second caption is 6 long);
output BlipForConditionalGenerationModelOutput: logits [B, T, 100], image_embeds [B, 17, 64].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import BlipConfig, BlipForConditionalGeneration, BlipTextConfig, BlipVisionConfig


def build_model() -> nn.Module:
    text = BlipTextConfig(
        vocab_size=100,
        hidden_size=64,
        encoder_hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=32,
        bos_token_id=30,
        pad_token_id=0,
        sep_token_id=2,
    )
    vision = BlipVisionConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=32,
        patch_size=8,
    )
    config = BlipConfig(text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=32)
    return BlipForConditionalGeneration(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(3, 100, (2, 8))
    input_ids[:, 0] = 30
    attention_mask = torch.ones(2, 8, dtype=torch.long)
    attention_mask[1, 6:] = 0
    return {
        "pixel_values": torch.randn(2, 3, 32, 32),
        "input_ids": input_ids.masked_fill(attention_mask == 0, 0),
        "attention_mask": attention_mask,
    }
