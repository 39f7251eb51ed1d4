"""Hugging Face ElectraModel (discriminator body): embeddings of size 32 projected to the hidden size 64.

Layout: batch-first. Inputs (keywords) input_ids [B=3, T=12], attention_mask [B, T],
token_type_ids [B, T]; output BaseModelOutput: last_hidden_state [B, T, 64].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import ElectraConfig, ElectraModel


def build_model() -> nn.Module:
    config = ElectraConfig(
        vocab_size=100,
        embedding_size=32,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
    )
    return ElectraModel(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 100, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    token_type_ids = torch.zeros(3, 12, dtype=torch.long)
    token_type_ids[:, 7:] = 1
    return {
        "input_ids": input_ids.masked_fill(attention_mask == 0, 0),
        "attention_mask": attention_mask,
        "token_type_ids": token_type_ids * attention_mask,
    }
