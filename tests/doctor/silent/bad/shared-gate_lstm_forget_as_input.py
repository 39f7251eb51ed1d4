"""A hand-written LSTM with fused gate weights, unrolled over a batch-first sequence.

Layout: batch-first x [B=3, T=6, F=4]; output a regression value [B, 1]. One Linear gives the
four pre-activations [B, 4·H] (H=10), chunked into the input, forget, cell and output gates.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FusedLSTM(nn.Module):
    def __init__(self, input_size: int = 4, hidden_size: int = 10) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.gates = nn.Linear(input_size + hidden_size, 4 * hidden_size)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), self.hidden_size)
        c = x.new_zeros(x.size(0), self.hidden_size)
        for t in range(x.size(1)):
            i, f, g, o = self.gates(torch.cat([x[:, t], h], dim=1)).chunk(4, dim=1)
            i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
            c = f * c + f * torch.tanh(g)  # doctor: shared-gate
            h = o * torch.tanh(c)
        return self.head(h)


def build_model() -> nn.Module:
    return FusedLSTM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 6, 4)
