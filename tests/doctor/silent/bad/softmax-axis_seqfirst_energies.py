"""Bahdanau (additive) attention for one decoder step over sequence-first encoder outputs.

Layout: sequence-first encoder outputs enc [T=7, B=4, H=16] and the decoder state dec [B, H];
output the context vector [B, H]. The energies are [T, B]; the weights sum to one over the
source steps (dim 0), which the weighted sum then contracts.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AdditiveAttention(nn.Module):
    def __init__(self, hidden_size: int = 16) -> None:
        super().__init__()
        self.w = nn.Linear(2 * hidden_size, hidden_size)
        self.v = nn.Linear(hidden_size, 1, bias=False)

    def forward(self, dec: Tensor, enc: Tensor) -> Tensor:
        expanded = dec.unsqueeze(0).expand(enc.size(0), -1, -1)  # [T, B, H]
        energies = self.v(torch.tanh(self.w(torch.cat([expanded, enc], dim=-1)))).squeeze(-1)  # [T, B]
        weights = torch.softmax(energies, dim=1)  # doctor: softmax-axis
        return (weights.unsqueeze(-1) * enc).sum(dim=0)


def build_model() -> nn.Module:
    return AdditiveAttention().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(4, 16), torch.randn(7, 4, 16)
