"""A gated RNN that shares one Linear between the input and the state on purpose: z reads x, r reads h.

Layout: batch-first x [B=2, T=4, H=5]; output [B, H]. The same weight applied to different tensors gives
different gates: nothing is shared that should not be.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TiedGRU(nn.Module):
    def __init__(self, hidden_size: int = 5) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.shared = nn.Linear(hidden_size, hidden_size)
        self.candidate = nn.Linear(2 * hidden_size, hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), self.hidden_size)
        for t in range(x.size(1)):
            z = torch.sigmoid(self.shared(x[:, t]))
            r = torch.sigmoid(self.shared(h))
            n = torch.tanh(self.candidate(torch.cat([x[:, t], r * h], dim=1)))
            h = (1 - z) * h + z * n
        return h


def build_model() -> nn.Module:
    return TiedGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 4, 5)
