"""A small transformer block (hand-written multi-head attention) for sequence classification.

Layout: batch-first embeddings x [B=2, T=6, E=16]; output class logits [B, 3]. Heads H=2 of
D=8; scores are [B, H, Tq, Tk] and each query's weights sum to one over the keys (dim -1).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TinyTransformerClassifier(nn.Module):
    def __init__(self, embed_dim: int = 16, num_heads: int = 2, num_classes: int = 3) -> None:
        super().__init__()
        self.h = num_heads
        self.d = embed_dim // num_heads
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.ffn = nn.Sequential(nn.Linear(embed_dim, 32), nn.GELU(), nn.Linear(32, embed_dim))
        self.norm1 = nn.LayerNorm(embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        b, n, e = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.h, self.d).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, H, T, D]
        scores = q @ k.transpose(-2, -1) / self.d**0.5  # [B, H, Tq, Tk]
        attn = torch.softmax(scores, dim=2)  # doctor: softmax-axis
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, n, e))
        x = x + self.ffn(self.norm2(x))
        return self.fc(x[:, 0])


def build_model() -> nn.Module:
    return TinyTransformerClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 6, 16)
