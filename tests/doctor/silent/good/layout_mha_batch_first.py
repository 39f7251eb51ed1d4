"""A self-attention sequence classifier built on nn.MultiheadAttention.

Layout: batch-first frames x [B=3, T=7, E=16]; output class logits [B, 4]. The attention is
constructed with batch_first=True, so it attends over the T axis of each sample.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MHAClassifier(nn.Module):
    def __init__(self, embed_dim: int = 16, num_heads: int = 2, num_classes: int = 4) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(embed_dim)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        ctx, _ = self.attn(x, x, x)
        x = self.norm(x + ctx)
        return self.fc(x.mean(dim=1))


def build_model() -> nn.Module:
    return MHAClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 7, 16)
