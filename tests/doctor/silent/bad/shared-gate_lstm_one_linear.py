"""A hand-written LSTM cell unrolled over a batch-first sequence.

Layout: batch-first x [B=3, T=6, F=5]; output class logits [B, 2]. One Linear computes the
pre-activations of the input, forget and output gates together, [B, 3·H] with H=8, which are
split into three different gates.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ManualLSTM(nn.Module):
    def __init__(self, input_size: int = 5, hidden_size: int = 8, num_classes: int = 2) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.gates = nn.Linear(input_size + hidden_size, hidden_size)
        self.candidate = nn.Linear(input_size + hidden_size, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), self.hidden_size)
        c = x.new_zeros(x.size(0), self.hidden_size)
        for t in range(x.size(1)):
            xh = torch.cat([x[:, t], h], dim=1)
            i = f = o = torch.sigmoid(self.gates(xh))  # doctor: shared-gate
            c = f * c + i * torch.tanh(self.candidate(xh))
            h = o * torch.tanh(c)
        return self.fc(h)


def build_model() -> nn.Module:
    return ManualLSTM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 6, 5)
