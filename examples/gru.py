"""Gated Recurrent Unit (GRU) built from explicit gate layers.

Architecture
------------
A stack of GRU cells unrolled over time (batch_first input of shape
(batch, T, input_size)). Layer 0 reads the input features; layer ℓ > 0 reads
the hidden state of layer ℓ − 1 at the same time step. The output is the
sequence of top-layer hidden states, shape (batch, T, hidden_size).

Equations (one cell, [a; b] denotes concatenation, ⊙ elementwise product)
--------------------------------------------------------------------------
    z_t = σ(W_z [x_t; h_{t−1}] + b_z)            update gate
    r_t = σ(W_r [x_t; h_{t−1}] + b_r)            reset gate
    n_t = tanh(W_n [x_t; r_t ⊙ h_{t−1}] + b_n)   candidate state
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

`BuiltinGRU` wraps torch's fused `nn.GRU` with the same sizes for comparison.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GRUCell(nn.Module):
    """A single GRU step: (x_t, h_{t−1}) → h_t."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.update_gate = nn.Linear(input_size + hidden_size, hidden_size)
        self.reset_gate = nn.Linear(input_size + hidden_size, hidden_size)
        self.candidate = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        combined = torch.cat([x, h], dim=1)
        z = torch.sigmoid(self.update_gate(combined))
        r = torch.sigmoid(self.reset_gate(combined))
        n = torch.tanh(self.candidate(torch.cat([x, r * h], dim=1)))
        h_new = (1 - z) * n + z * h
        return h_new


class StackedGRU(nn.Module):
    """Multi-layer GRU unrolled over time with a Python loop."""

    def __init__(self, input_size: int = 10, hidden_size: int = 20, num_layers: int = 2) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cells = nn.ModuleList(
            [GRUCell(input_size if i == 0 else hidden_size, hidden_size) for i in range(num_layers)]
        )

    def forward(self, x: Tensor) -> Tensor:
        batch = x.size(0)
        h: list[Tensor] = [
            torch.zeros(batch, self.hidden_size, dtype=x.dtype, device=x.device)
            for _ in range(self.num_layers)
        ]
        outputs: list[Tensor] = []
        for t in range(x.size(1)):
            inp = x[:, t]
            for i, cell in enumerate(self.cells):
                h[i] = cell(inp, h[i])
                inp = h[i]
            outputs.append(inp)
        return torch.stack(outputs, dim=1)


class BuiltinGRU(nn.Module):
    """The same stacked GRU using torch's fused `nn.GRU`."""

    def __init__(self, input_size: int = 10, hidden_size: int = 20, num_layers: int = 2) -> None:
        super().__init__()
        self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers, batch_first=True)

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.gru(x)
        return output


def build_model() -> nn.Module:
    """The hand-written stacked GRU."""
    return StackedGRU()


def build_builtin() -> nn.Module:
    """The `nn.GRU`-based equivalent."""
    return BuiltinGRU()


def example_inputs() -> tuple[Tensor]:
    """A batch of 3 sequences, 5 steps, 10 features each."""
    torch.manual_seed(0)
    return (torch.randn(3, 5, 10),)


if __name__ == "__main__":
    for name, model in (("StackedGRU", build_model()), ("BuiltinGRU", build_builtin())):
        with torch.no_grad():
            out = model(*example_inputs())
        print(f"{name}: output {tuple(out.shape)}")
