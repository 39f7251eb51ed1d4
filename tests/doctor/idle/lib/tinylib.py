"""A stand-in for a library's model code (outside the user's folder): attention that reads its
dropout's `p` instead of calling it, and a pooler the library builds but only uses on request."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class LibAttention(nn.Module):
    def __init__(self, dim: int, p: float) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.dropout = nn.Dropout(p)

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = self.qkv(x).chunk(3, -1)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout.p if self.training else 0.0)


class LibEncoder(nn.Module):
    def __init__(self, dim: int = 16, layers: int = 3, p: float = 0.1) -> None:
        super().__init__()
        self.layers = nn.ModuleList(LibAttention(dim, p) for _ in range(layers))

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = x + layer(x)
        return x
