"""The patch embedding of a small Vision Transformer classifier.

Layout: images NCHW x [B=2, C=3, H=16, W=24]; patches P=4 make a 4×6 grid of N=24 patches, each
patch token holding its C·P·P = 48 pixel values; output class logits [B, 10]. unfold gives
[B, C, 4, 6, P, P]; the grid axes move in front of C before each patch is flattened.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TinyViT(nn.Module):
    def __init__(self, channels: int = 3, patch: int = 4, embed_dim: int = 32, num_classes: int = 10) -> None:
        super().__init__()
        self.patch = patch
        self.embed = nn.Linear(channels * patch * patch, embed_dim)
        self.pos = nn.Parameter(torch.randn(1, 24, embed_dim) * 0.02)
        self.encoder = nn.TransformerEncoderLayer(embed_dim, nhead=4, dim_feedforward=64, batch_first=True)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, images: Tensor) -> Tensor:
        b, c, h, w = images.shape
        p = self.patch
        grid = images.unfold(2, p, p).unfold(3, p, p)  # [B, C, H/P, W/P, P, P]
        patches = grid.permute(0, 2, 3, 1, 4, 5).reshape(b, (h // p) * (w // p), c * p * p)
        tokens = self.encoder(self.embed(patches) + self.pos)
        return self.head(tokens.mean(dim=1))


def build_model() -> nn.Module:
    return TinyViT().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 16, 24)
