"""A two-layer GRU written cell by cell and unrolled over time with a Python loop.

Layout: batch-first. Input x [B=3, T=7, F=10]; output: the top layer's hidden state at every
step, [B, T, H=20].

One cell, with the input and hidden projections fused per side (as torch's GRUCell does):
    z_t = σ(W_xz x_t + W_hz h_{t−1} + b_z)
    r_t = σ(W_xr x_t + W_hr h_{t−1} + b_r)
    n_t = tanh(W_xn x_t + r_t ⊙ (W_hn h_{t−1} + b_hn) + b_xn)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
Layer ℓ > 0 reads layer ℓ − 1's state at the same step.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GRUCell(nn.Module):
    """One GRU step: (x_t [B, in], h_{t−1} [B, H]) → h_t [B, H]."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.x2h = nn.Linear(input_size, 3 * hidden_size)
        self.h2h = nn.Linear(hidden_size, 3 * hidden_size)

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        x_z, x_r, x_n = self.x2h(x).chunk(3, dim=-1)
        h_z, h_r, h_n = self.h2h(h).chunk(3, dim=-1)
        z = torch.sigmoid(x_z + h_z)
        r = torch.sigmoid(x_r + h_r)
        n = torch.tanh(x_n + r * h_n)
        return (1 - z) * n + z * h


class StackedGRU(nn.Module):
    def __init__(self, input_size: int = 10, hidden_size: int = 20, num_layers: int = 2) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cells = nn.ModuleList(
            GRUCell(input_size if i == 0 else hidden_size, hidden_size) for i in range(num_layers)
        )

    def forward(self, x: Tensor) -> Tensor:
        batch, steps, _ = x.shape
        h = [x.new_zeros(batch, self.hidden_size) for _ in self.cells]
        outputs: list[Tensor] = []
        for t in range(steps):
            inp = x[:, t]
            for i, cell in enumerate(self.cells):
                h[i] = cell(inp, h[i])
                inp = h[i]
            outputs.append(inp)
        return torch.stack(outputs, dim=1)


def build_model() -> nn.Module:
    return StackedGRU()


def example_inputs() -> Tensor:
    """3 sequences of 7 steps with 10 features each."""
    torch.manual_seed(0)
    return torch.randn(3, 7, 10)
