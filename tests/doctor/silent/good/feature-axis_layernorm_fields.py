"""A CTR model that layer-normalises each field embedding before its MLP (MaskNet style).

Layout: categorical ids x [B=4, fields=5] (one vocabulary of 40 ids per field); output one
click logit [B, 1]. The embeddings are [B, 5, E=8]; LayerNorm normalises every field's own
E=8 values, as in concat(LN(e1), …, LN(e5)).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FieldNormCTR(nn.Module):
    def __init__(self, num_fields: int = 5, vocab_size: int = 40, embed_dim: int = 8) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_fields * vocab_size, embed_dim)
        self.register_buffer("offsets", torch.arange(num_fields) * vocab_size)
        self.norm = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(nn.Linear(num_fields * embed_dim, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x: Tensor) -> Tensor:
        emb = self.embedding(x + self.offsets)  # [B, fields, E]
        emb = self.norm(emb)
        return self.mlp(emb.flatten(1))


def build_model() -> nn.Module:
    return FieldNormCTR().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 40, (4, 5))
