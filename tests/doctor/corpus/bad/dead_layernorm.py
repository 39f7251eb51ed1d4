"""A one-block pre-norm Transformer classifier over frame features.

Layout: batch-first (nn.MultiheadAttention(batch_first=True)). Input x [B=3, T=7, F=10] (equal
lengths); output class logits [B, 4]. The block is x + Attn(LN1(x)), then x + FFN(LN2(x)).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PreNormBlock(nn.Module):
    def __init__(self, d_model: int, heads: int, ff_size: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attention = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model)  # doctor: dead-module
        self.ff = nn.Sequential(nn.Linear(d_model, ff_size), nn.GELU(), nn.Linear(ff_size, d_model))

    def forward(self, x: Tensor) -> Tensor:
        h = self.norm1(x)
        attended, _ = self.attention(h, h, h, need_weights=False)
        x = x + attended
        return x + self.ff(x)


class FrameTransformer(nn.Module):
    def __init__(self, num_features: int = 10, d_model: int = 32, num_classes: int = 4) -> None:
        super().__init__()
        self.input_proj = nn.Linear(num_features, d_model)
        self.block = PreNormBlock(d_model, 2, 64)
        self.fc = nn.Linear(d_model, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = self.block(self.input_proj(x))
        return self.fc(h.mean(dim=1))


def build_model() -> nn.Module:
    return FrameTransformer().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 7, 10)
