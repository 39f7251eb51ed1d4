"""A batch-first transformer classifier using the PyTorch tutorial's sinusoidal PositionalEncoding.

Layout: batch-first embeddings x [B=3, T=9, E=16]; output class logits [B, 4]. The encoding
buffer is stored sequence-first, pe [max_len, 1, E]; for batch-first input its first T rows are
moved to [1, T, E] before they are added.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, max_len: int = 64) -> None:
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.pe[: x.size(1)].transpose(0, 1)


class PETransformerClassifier(nn.Module):
    def __init__(self, embed_dim: int = 16, num_classes: int = 4) -> None:
        super().__init__()
        self.pos = PositionalEncoding(embed_dim)
        self.encoder = nn.TransformerEncoderLayer(embed_dim, nhead=2, dim_feedforward=32, batch_first=True)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.encoder(self.pos(x))[:, 0])


def build_model() -> nn.Module:
    return PETransformerClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 9, 16)
