"""Hugging Face WhisperModel: a conv front end (stride 2) over log-mel features, then an encoder-decoder.

Layout: input_features [B=2, mel=16, frames=64] (channels first, as the feature extractor gives;
Whisper requires frames = 2 · max_source_positions) and decoder_input_ids [B, T=6]; output
Seq2SeqModelOutput: last_hidden_state [B, T, 64], encoder_last_hidden_state [B, 32, 64].
"""

from __future__ import annotations

import _torchvision_shim  # noqa: F401  (before transformers, which imports torchvision)
import torch
from torch import Tensor, nn
from transformers import WhisperConfig, WhisperModel


def build_model() -> nn.Module:
    config = WhisperConfig(
        vocab_size=100,
        num_mel_bins=16,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_source_positions=32,
        max_target_positions=32,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
        suppress_tokens=[],
        begin_suppress_tokens=[],
    )
    return WhisperModel(config).eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    decoder_input_ids = torch.randint(3, 100, (2, 6))
    decoder_input_ids[:, 0] = 1
    return {"input_features": torch.randn(2, 16, 64), "decoder_input_ids": decoder_input_ids}
