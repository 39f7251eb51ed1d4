"""Hugging Face GPTJForCausalLM: parallel attention and MLP, rotary embedding on the first 8 dims of each head.

Layout: batch-first. Inputs (keywords) input_ids [B=3, T=12], attention_mask [B, T] (the second
sequence is right-padded for its last 4 positions); output CausalLMOutputWithPast with logits
[B, T, 100] and the key/value cache (use_cache is on by default in eval mode).
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import GPTJConfig, GPTJForCausalLM


def build_model() -> nn.Module:
    config = GPTJConfig(
        vocab_size=100, n_embd=64, n_layer=2, n_head=4, rotary_dim=8, n_positions=64, bos_token_id=99, eos_token_id=99
    )
    return GPTJForCausalLM(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 99, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    return {"input_ids": input_ids.masked_fill(attention_mask == 0, 0), "attention_mask": attention_mask}
