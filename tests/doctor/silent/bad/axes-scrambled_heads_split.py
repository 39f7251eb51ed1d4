"""A token tagger with one hand-written multi-head self-attention block.

Layout: batch-first embeddings x [B=3, T=7, E=32]; output per-token tag logits [B, T, 6].
Heads: H=4 of D=8. q, k and v are [B, T, H·D]; splitting the heads views them as [B, T, H, D]
and moves H in front of T, giving [B, H, T, D].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SelfAttentionTagger(nn.Module):
    def __init__(self, embed_dim: int = 32, num_heads: int = 4, num_tags: int = 6) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.q = nn.Linear(embed_dim, embed_dim)
        self.k = nn.Linear(embed_dim, embed_dim)
        self.v = nn.Linear(embed_dim, embed_dim)
        self.out = nn.Linear(embed_dim, embed_dim)
        self.tagger = nn.Linear(embed_dim, num_tags)

    def split_heads(self, t: Tensor) -> Tensor:
        b, n, _ = t.shape
        return t.view(b, self.num_heads, n, self.head_dim)  # doctor: axes-scrambled

    def forward(self, x: Tensor) -> Tensor:
        b, n, e = x.shape
        q, k, v = self.split_heads(self.q(x)), self.split_heads(self.k(x)), self.split_heads(self.v(x))
        scores = q @ k.transpose(-2, -1) / self.head_dim**0.5  # [B, H, T, T]
        ctx = torch.softmax(scores, dim=-1) @ v  # [B, H, T, D]
        ctx = ctx.transpose(1, 2).reshape(b, n, e)
        return self.tagger(x + self.out(ctx))


def build_model() -> nn.Module:
    return SelfAttentionTagger().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 7, 32)
