"""A transformer-encoder classifier over tabular feature sequences.

Layout: batch-first embeddings x [B=3, T=8, E=16]; output class logits [B, 2]. The encoder
layers are built with batch_first=True; the encoded steps are averaged over T.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class EncoderClassifier(nn.Module):
    def __init__(self, embed_dim: int = 16, num_heads: int = 2, num_classes: int = 2) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(embed_dim, num_heads, dim_feedforward=32)  # doctor: layout
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.encoder(x).mean(dim=1))


def build_model() -> nn.Module:
    return EncoderClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 8, 16)
