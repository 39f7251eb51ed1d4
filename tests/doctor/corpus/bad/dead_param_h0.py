"""A sequence-first GRU regressor with a learned initial hidden state.

Layout: sequence-first (nn.GRU without batch_first). Input x [T=9, B=4, F=5]; output one
forecast per sample [B, 2]. The learned h0 [1, 1, H] is meant to be expanded over the batch
and passed to the GRU.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LearnedInitGRU(nn.Module):
    def __init__(self, num_features: int = 5, hidden_size: int = 16, horizon: int = 2) -> None:
        super().__init__()
        self.h0 = nn.Parameter(torch.zeros(1, 1, hidden_size))  # doctor: dead-param
        self.gru = nn.GRU(num_features, hidden_size)
        self.fc = nn.Linear(hidden_size, horizon)

    def forward(self, x: Tensor) -> Tensor:
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    return LearnedInitGRU()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(9, 4, 5)
