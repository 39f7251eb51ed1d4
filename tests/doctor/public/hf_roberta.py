"""Hugging Face RobertaModel from a small RobertaConfig: position ids computed from the padding mask.

Layout: batch-first. Inputs (keywords) input_ids [B=3, T=12] (padding id 1 where the mask is 0,
the first position is <s> = 0), attention_mask [B, T]; output last_hidden_state [B, T, 64],
pooler_output [B, 64].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import RobertaConfig, RobertaModel


def build_model() -> nn.Module:
    config = RobertaConfig(
        vocab_size=100,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=66,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    return RobertaModel(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(3, 100, (3, 12))
    input_ids[:, 0] = 0
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    return {"input_ids": input_ids.masked_fill(attention_mask == 0, 1), "attention_mask": attention_mask}
