"""A retrieval encoder whose embeddings are L2-normalised for cosine similarity.

Layout: image features x [B=6, 20]; output unit-length embeddings [B, 8], each row normalised
over its own 8 features (dim 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class EmbeddingEncoder(nn.Module):
    def __init__(self, in_features: int = 20, embed_dim: int = 8) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, 32), nn.ReLU(), nn.Linear(32, embed_dim))

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.net(x), dim=1)


def build_model() -> nn.Module:
    return EmbeddingEncoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(6, 20)
