"""A sequence-first two-layer nn.GRU encoder that builds its initial state from the batch axis.

Layout: sequence-first. Input x [T=10, B=3, F=7]; outputs: the per-step states [T, B, H=16]
(for an attention decoder) and a summary of the final top-layer state [B, 16].

In a [T, B, F] tensor the batch size is x.size(1), so h0 is [num_layers, x.size(1), H].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GRUEncoder(nn.Module):
    def __init__(self, input_size: int = 7, hidden_size: int = 16, num_layers: int = 2) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers)
        self.summary = nn.Linear(hidden_size, hidden_size)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h0 = torch.zeros(self.num_layers, x.size(1), self.hidden_size, dtype=x.dtype, device=x.device)
        outputs, h_n = self.gru(x, h0)
        return outputs, torch.tanh(self.summary(h_n[-1]))


def build_model() -> nn.Module:
    return GRUEncoder()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(10, 3, 7)
