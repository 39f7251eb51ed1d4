"""Mogrifier LSTM (Melis, Kočiský & Blunsom, "Mogrifier LSTM", ICLR 2020).

Architecture
------------
Before each ordinary LSTM step, the input x and the previous hidden state h
modulate each other over r alternating "mogrifier" rounds. Starting from
x⁰ = x_t and h⁰ = h_{t−1}, for i = 1 … r:

    odd i:   xⁱ = 2 σ(Qⁱ hⁱ⁻¹) ⊙ xⁱ⁻²        (Qⁱ: hidden_size → input_size)
    even i:  hⁱ = 2 σ(Rⁱ xⁱ⁻¹) ⊙ hⁱ⁻²        (Rⁱ: input_size → hidden_size)

(x⁻¹ = x⁰, h⁻¹ = h⁰). With r = 5 there are three Q matrices (rounds 1, 3, 5)
and two R matrices (rounds 2, 4). The final x↑, h↑ then feed a standard LSTM:

    [i, f, g, o] = W_ih x↑ + b_ih + W_hh h↑ + b_hh
    i = σ(i),  f = σ(f),  g = tanh(g),  o = σ(o)
    c_t = f ⊙ c_{t−1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)

The cell is unrolled over a batch_first sequence (batch, T, input_size) and
the model returns all hidden states, shape (batch, T, hidden_size).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MogrifierLSTMCell(nn.Module):
    """One Mogrifier LSTM step: (x_t, (h_{t−1}, c_{t−1})) → (h_t, c_t)."""

    def __init__(self, input_size: int = 10, hidden_size: int = 20, rounds: int = 5) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.rounds = rounds
        # Odd rounds 1, 3, 5, …: x is rescaled by a gate computed from h.
        self.q = nn.ModuleList(
            [nn.Linear(hidden_size, input_size) for _ in range((rounds + 1) // 2)]
        )
        # Even rounds 2, 4, …: h is rescaled by a gate computed from x.
        self.r = nn.ModuleList([nn.Linear(input_size, hidden_size) for _ in range(rounds // 2)])
        self.ih = nn.Linear(input_size, 4 * hidden_size)
        self.hh = nn.Linear(hidden_size, 4 * hidden_size)

    def mogrify(self, x: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        for i in range(1, self.rounds + 1):
            if i % 2 == 1:
                x = 2 * torch.sigmoid(self.q[i // 2](h)) * x
            else:
                h = 2 * torch.sigmoid(self.r[i // 2 - 1](x)) * h
        return x, h

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        x, h = self.mogrify(x, h)
        gates = self.ih(x) + self.hh(h)
        i, f, g, o = gates.chunk(4, 1)
        i = torch.sigmoid(i)
        f = torch.sigmoid(f)
        g = torch.tanh(g)
        o = torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class MogrifierLSTM(nn.Module):
    """A single-layer Mogrifier LSTM unrolled over time."""

    def __init__(self, input_size: int = 10, hidden_size: int = 20, rounds: int = 5) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = MogrifierLSTMCell(input_size, hidden_size, rounds)

    def forward(self, x: Tensor) -> Tensor:
        batch = x.size(0)
        h = torch.zeros(batch, self.hidden_size, dtype=x.dtype, device=x.device)
        c = torch.zeros(batch, self.hidden_size, dtype=x.dtype, device=x.device)
        outputs: list[Tensor] = []
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        return torch.stack(outputs, 1)


def build_model() -> nn.Module:
    return MogrifierLSTM()


def example_inputs() -> tuple[Tensor]:
    """A batch of 3 sequences, 5 steps, 10 features each."""
    torch.manual_seed(0)
    return (torch.randn(3, 5, 10),)


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        out = model(*example_inputs())
    print(f"MogrifierLSTM: output {tuple(out.shape)}")
