"""Hugging Face MarianMTModel: translation encoder-decoder with sinusoidal positions and a tied LM head.

Layout: batch-first. Inputs (keywords) input_ids [B=3, S=12] with attention_mask [B, S] (the
second source is padded with id 99 for its last 4 positions) and decoder_input_ids [B, T=7]
(starting with the pad id, Marian's decoder start); output Seq2SeqLMOutput: logits [B, T, 100].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import MarianConfig, MarianMTModel


def build_model() -> nn.Module:
    config = MarianConfig(
        vocab_size=100,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_position_embeddings=64,
        pad_token_id=99,
        decoder_start_token_id=99,
        eos_token_id=0,
    )
    return MarianMTModel(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 99, (3, 12))
    attention_mask = torch.ones(3, 12, dtype=torch.long)
    attention_mask[1, 8:] = 0
    decoder_input_ids = torch.randint(1, 99, (3, 7))
    decoder_input_ids[:, 0] = 99
    return {
        "input_ids": input_ids.masked_fill(attention_mask == 0, 99),
        "attention_mask": attention_mask,
        "decoder_input_ids": decoder_input_ids,
    }
