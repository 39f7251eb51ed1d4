"""Hugging Face DistilBertModel from a small DistilBertConfig (no token types, no pooler).

Layout: batch-first. Inputs (keywords) input_ids [B=3, T=12], attention_mask [B, T] (the second
sequence ends in 4 padding positions); output BaseModelOutput: last_hidden_state [B, T, 64].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import DistilBertConfig, DistilBertModel


def build_model() -> nn.Module:
    config = DistilBertConfig(vocab_size=100, dim=64, n_layers=2, n_heads=4, hidden_dim=128, max_position_embeddings=64)
    return DistilBertModel(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 100, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    return {"input_ids": input_ids.masked_fill(attention_mask == 0, 0), "attention_mask": attention_mask}
