"""Averaged embeddings with and without padding: an embedding without padding_idx averaged over fixed
windows, and a padded one averaged under a mask of the real tokens.

Layout: token ids [B=2, T=6]; output [B, 16].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Bags(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.plain = nn.Embedding(20, 8)
        self.padded = nn.Embedding(20, 8, padding_idx=0)

    def forward(self, tokens: Tensor) -> Tensor:
        windows = self.plain(tokens).mean(dim=1)
        keep = (tokens != 0).unsqueeze(-1).float()
        masked = (self.padded(tokens) * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1)
        return torch.cat([windows, masked], dim=1)


def build_model() -> nn.Module:
    return Bags().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.tensor([[3, 4, 5, 6, 7, 8], [3, 4, 5, 0, 0, 0]])
