"""A pre-norm transformer encoder classifier whose last block output goes through a final LayerNorm.

Layout: batch-first embeddings x [B=3, T=8, E=16]; output class logits [B, 4]. Pre-norm blocks
leave the residual stream unnormalised, so the encoder ends with final_norm before pooling.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PreNormEncoder(nn.Module):
    def __init__(self, embed_dim: int = 16, num_classes: int = 4) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(embed_dim, 2, dim_feedforward=32, batch_first=True, norm_first=True)
            for _ in range(2)
        )
        self.final_norm = nn.LayerNorm(embed_dim)  # doctor: dead-module
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return self.fc(x.mean(dim=1))


def build_model() -> nn.Module:
    return PreNormEncoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 8, 16) * 3.0
