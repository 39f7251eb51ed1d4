"""Cross-attention written with einsum whose softmax normalises over the queries.

Layout: batch-first queries [B=2, Tq=4, D=8], memory [B, Tk=7, D]; output [B, Tq, D]. The scores are
[B, Tq, Tk]; softmax(dim=1) makes each key's weights sum to one over the queries, but the second einsum
sums over the keys.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CrossAttention(nn.Module):
    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)

    def forward(self, queries: Tensor, memory: Tensor) -> Tensor:
        scores = torch.einsum("bqd,bkd->bqk", self.q(queries), self.k(memory)) / 8**0.5
        weights = scores.softmax(dim=1)  # expect: softmax-axis
        return torch.einsum("bqk,bkd->bqd", weights, self.v(memory))


def build_model() -> nn.Module:
    return CrossAttention().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(2, 4, 8), torch.randn(2, 7, 8)
