"""A sequence-first transformer encoder with a learned position table stored batch-first.

Layout: sequence-first embeddings x [T=8, B=3, E=16] (nn.TransformerEncoderLayer without
batch_first); output per-step logits [T, B, 5]. The position table is [1, max_len, E]; its first
T rows are reshaped to [T, 1, E] to line up with the sequence-first input.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SeqFirstEncoder(nn.Module):
    def __init__(self, embed_dim: int = 16, max_len: int = 32, num_tags: int = 5) -> None:
        super().__init__()
        self.pos = nn.Parameter(torch.randn(1, max_len, embed_dim) * 0.5)
        self.encoder = nn.TransformerEncoderLayer(embed_dim, nhead=2, dim_feedforward=32)
        self.tagger = nn.Linear(embed_dim, num_tags)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.pos[0, : x.size(0)].unsqueeze(1)
        return self.tagger(self.encoder(x))


def build_model() -> nn.Module:
    return SeqFirstEncoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(8, 3, 16)
