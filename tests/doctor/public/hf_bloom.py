"""Hugging Face BloomForCausalLM: ALiBi position biases from the attention mask, fused QKV.

Layout: batch-first. Inputs (keywords) input_ids [B=3, T=12], attention_mask [B, T] (the second
sequence is right-padded for its last 4 positions); output CausalLMOutputWithPast with logits
[B, T, 100] and the key/value cache (use_cache is on by default in eval mode).
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import BloomConfig, BloomForCausalLM


def build_model() -> nn.Module:
    config = BloomConfig(vocab_size=100, hidden_size=64, n_layer=2, n_head=4)
    return BloomForCausalLM(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 100, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    return {"input_ids": input_ids.masked_fill(attention_mask == 0, 0), "attention_mask": attention_mask}
