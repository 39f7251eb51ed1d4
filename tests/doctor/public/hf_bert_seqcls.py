"""Hugging Face BertForSequenceClassification (3 labels): pooled [CLS] → dropout → linear classifier.

Layout: batch-first. Inputs (keywords) input_ids [B=3, T=12], attention_mask [B, T],
token_type_ids [B, T]; output SequenceClassifierOutput with logits [B, 3].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import BertConfig, BertForSequenceClassification


def build_model() -> nn.Module:
    config = BertConfig(
        vocab_size=100,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
        num_labels=3,
    )
    return BertForSequenceClassification(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 100, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[2, 9:] = 0
    token_type_ids = torch.zeros(3, 12, dtype=torch.long)
    token_type_ids[:, 6:] = 1
    return {
        "input_ids": input_ids.masked_fill(attention_mask == 0, 0),
        "attention_mask": attention_mask,
        "token_type_ids": token_type_ids * attention_mask,
    }
