"""Hugging Face CLIPModel: a text and a vision transformer, projected and compared by scaled cosine similarity.

Three captions and three RGB images — batch 3 and 3 channels share a size, a case where a size
alone cannot tell which axis is which. Inputs (keywords) input_ids [B=3, T=10] with
attention_mask [B, T] (captions run from BOS 98 to EOS 99, where CLIP pools; the third is 6
tokens long, then padding), pixel_values [B=3, C=3, 32, 32]; output CLIPOutput:
logits_per_image [3, 3], logits_per_text [3, 3], text_embeds [3, 32], image_embeds [3, 32] and
both towers' outputs.
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import CLIPConfig, CLIPModel, CLIPTextConfig, CLIPVisionConfig


def build_model() -> nn.Module:
    text = CLIPTextConfig(
        vocab_size=100,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=32,
        bos_token_id=98,
        eos_token_id=99,
    )
    vision = CLIPVisionConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=32,
        patch_size=8,
        num_channels=3,
    )
    config = CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=32)
    return CLIPModel(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 98, (3, 10))
    input_ids[:, 0] = 98
    attention_mask = torch.ones(3, 10, dtype=torch.long)
    attention_mask[2, 6:] = 0
    input_ids[:, -1] = 99
    input_ids[2, 5] = 99
    return {
        "input_ids": input_ids.masked_fill(attention_mask == 0, 0),
        "attention_mask": attention_mask,
        "pixel_values": torch.randn(3, 3, 32, 32),
    }
