"""A tiny GPT-style encoder with learned token and position embeddings.

Layout: batch-first token ids [B=4, T=10]; output next-token logits [B, T, V=40]. Position ids
are 0 … T−1 along the time axis (dim 1), [1, T], shared by every sample.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TinyLM(nn.Module):
    def __init__(self, vocab_size: int = 40, embed_dim: int = 16, max_len: int = 32) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab_size, embed_dim)
        self.pos = nn.Embedding(max_len, embed_dim)
        self.block = nn.TransformerEncoderLayer(embed_dim, nhead=2, dim_feedforward=32, batch_first=True)
        self.lm_head = nn.Linear(embed_dim, vocab_size)

    def forward(self, tokens: Tensor) -> Tensor:
        pos = torch.arange(tokens.size(0), device=tokens.device).unsqueeze(1)  # doctor: positions
        x = self.tok(tokens) + self.pos(pos)
        causal = nn.Transformer.generate_square_subsequent_mask(tokens.size(1))
        return self.lm_head(self.block(x, src_mask=causal))


def build_model() -> nn.Module:
    return TinyLM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 40, (4, 10))
