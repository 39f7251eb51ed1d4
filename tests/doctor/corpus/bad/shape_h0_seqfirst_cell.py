"""A hand-written Elman RNN classifier over a sequence-first batch.

Layout: sequence-first. Input x [T=5, B=3, F=10]; output class logits [B, 4].
    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ElmanClassifier(nn.Module):
    def __init__(self, input_size: int = 10, hidden_size: int = 20, num_classes: int = 4) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.ih = nn.Linear(input_size, hidden_size)
        self.hh = nn.Linear(hidden_size, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)  # doctor: shape-clash
        for x_t in x:
            h = torch.tanh(self.ih(x_t) + self.hh(h))
        return self.fc(h)


def build_model() -> nn.Module:
    return ElmanClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(5, 3, 10)
