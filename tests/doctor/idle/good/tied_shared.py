"""An encoder whose token embedding is tied to a shared table, as T5's `shared` and `embed_tokens`:
the model never calls `shared`; its weight is the one the encoder's embedding reads.

Layout: token ids [B=2, T=7]; output [B, T, 16].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Stack(nn.Module):
    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.layer = nn.TransformerEncoderLayer(dim, 2, 32, batch_first=True)

    def forward(self, ids: Tensor) -> Tensor:
        return self.layer(self.embed_tokens(ids))


class TiedEncoder(nn.Module):
    def __init__(self, vocab: int = 30, dim: int = 16) -> None:
        super().__init__()
        self.shared = nn.Embedding(vocab, dim)
        self.encoder = Stack(vocab, dim)
        self.encoder.embed_tokens.weight = self.shared.weight

    def forward(self, ids: Tensor) -> Tensor:
        return self.encoder(ids)


def build_model() -> nn.Module:
    return TiedEncoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 30, (2, 7))
