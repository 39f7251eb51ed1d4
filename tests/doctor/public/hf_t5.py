"""Hugging Face T5Model (encoder-decoder): relative position buckets, RMS-style T5LayerNorm, no biases.

Layout: batch-first. Inputs (keywords) input_ids [B=3, S=12] with attention_mask [B, S] (the
second source ends in 4 padding positions) and decoder_input_ids [B, T=7] (starting with the pad
id 0, as T5 shifts its labels); output Seq2SeqModelOutput: last_hidden_state [B, T, 64],
encoder_last_hidden_state [B, S, 64] and the decoder cache.
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import T5Config, T5Model


def build_model() -> nn.Module:
    config = T5Config(
        vocab_size=100,
        d_model=64,
        d_kv=16,
        d_ff=128,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=32,
        decoder_start_token_id=0,
    )
    return T5Model(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(2, 100, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    decoder_input_ids = torch.randint(2, 100, (3, 7))
    decoder_input_ids[:, 0] = 0
    return {
        "input_ids": input_ids.masked_fill(attention_mask == 0, 0),
        "attention_mask": attention_mask,
        "decoder_input_ids": decoder_input_ids,
    }
