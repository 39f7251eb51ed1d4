"""A minimal gated unit (Zhou et al. 2016): one forget gate f resets the state and interpolates it.

Layout: batch-first x [B=3, T=6, F=4]; output [B, H=5]. f is used twice on purpose:
h̃ = tanh(W x + U (f ⊙ h)), h = (1 − f) ⊙ h + f ⊙ h̃.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MGU(nn.Module):
    def __init__(self, input_size: int = 4, hidden_size: int = 5) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.forget = nn.Linear(input_size + hidden_size, hidden_size)
        self.candidate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), self.hidden_size)
        for t in range(x.size(1)):
            f = torch.sigmoid(self.forget(torch.cat([x[:, t], h], dim=1)))
            cand = torch.tanh(self.candidate(torch.cat([x[:, t], f * h], dim=1)))
            h = (1 - f) * h + f * cand
        return h


def build_model() -> nn.Module:
    return MGU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 6, 4)
