"""A sentence classifier with one hand-written multi-head self-attention layer.

Layout: batch-first embeddings x [B=2, T=9, E=24]; output class logits [B, 4].
Heads: H=3 of D=8. The attention context is [B, H, T, D]; merging the heads moves T back in
front of H ([B, T, H, D]) and then joins H·D into E=24 per token.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AttentionClassifier(nn.Module):
    def __init__(self, embed_dim: int = 24, num_heads: int = 3, num_classes: int = 4) -> None:
        super().__init__()
        self.h = num_heads
        self.d = embed_dim // num_heads
        self.qkv = nn.ModuleList(nn.Linear(embed_dim, embed_dim) for _ in range(3))
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.norm = nn.LayerNorm(embed_dim)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        b, n, e = x.shape
        q, k, v = (lin(x).view(b, n, self.h, self.d).transpose(1, 2) for lin in self.qkv)
        weights = torch.softmax(q @ k.transpose(-2, -1) / self.d**0.5, dim=-1)
        ctx = weights @ v  # [B, H, T, D]
        ctx = ctx.view(b, n, e)  # doctor: axes-scrambled
        x = self.norm(x + self.proj(ctx))
        return self.fc(x.mean(dim=1))


def build_model() -> nn.Module:
    return AttentionClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 9, 24)
