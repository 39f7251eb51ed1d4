"""Hugging Face BartForConditionalGeneration: post-norm encoder-decoder with learned positions and LM head.

Layout: batch-first. Inputs (keywords) input_ids [B=3, S=12] with attention_mask [B, S] (the
second source is padded with id 1 for its last 4 positions) and decoder_input_ids [B, T=7]
(starting with </s> = 2, BART's decoder start); output Seq2SeqLMOutput: logits [B, T, 100],
encoder_last_hidden_state [B, S, 64] and the decoder cache.
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import BartConfig, BartForConditionalGeneration


def build_model() -> nn.Module:
    config = BartConfig(
        vocab_size=100,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_position_embeddings=64,
    )
    return BartForConditionalGeneration(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(3, 100, (3, 12))
    input_ids[:, 0] = 0
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    decoder_input_ids = torch.randint(3, 100, (3, 7))
    decoder_input_ids[:, 0] = 2
    return {
        "input_ids": input_ids.masked_fill(attention_mask == 0, 1),
        "attention_mask": attention_mask,
        "decoder_input_ids": decoder_input_ids,
    }
