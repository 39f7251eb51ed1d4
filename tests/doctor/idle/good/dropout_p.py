"""Self-attention that hands its dropout's probability to scaled_dot_product_attention, as Hugging Face's
BERT does: `self.dropout` is never called, its `p` is read when training.

Layout: batch-first x [B=2, T=6, D=16]; two layers of 4 heads; output [B, T, D].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SelfAttention(nn.Module):
    def __init__(self, dim: int = 16, heads: int = 4, p: float = 0.1) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)

    def forward(self, x: Tensor) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout.p if self.training else 0.0)
        return self.proj(out.transpose(1, 2).reshape(b, t, d))


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(SelfAttention() for _ in range(2))
        self.norm = nn.LayerNorm(16)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = x + layer(self.norm(x))
        return x


def build_model() -> nn.Module:
    return Encoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 6, 16)
