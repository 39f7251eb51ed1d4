"""A hand-written LSTM layer: explicit i, f, g, o gates in a loop over a sequence-first input.

Layout: sequence-first. Input x [T=6, B=4, F=9]; outputs the hidden state at every step
[T, B, H=18] and the final (h, c), each [B, 18], like nn.LSTM with one layer.
The batch size of a [T, B, F] tensor is x.size(1), and the loop walks dim 0 (time).

    i = σ(W_ii x + W_hi h + b_i)    f = σ(W_if x + W_hf h + b_f)
    g = tanh(W_ig x + W_hg h + b_g) o = σ(W_io x + W_ho h + b_o)
    c' = f ⊙ c + i ⊙ g              h' = o ⊙ tanh(c')
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LSTMCell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_map = nn.Linear(input_size, 4 * hidden_size)
        self.hidden_map = nn.Linear(hidden_size, 4 * hidden_size, bias=False)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        i, f, g, o = (self.input_map(x) + self.hidden_map(h)).chunk(4, dim=1)
        i = torch.sigmoid(i)
        f = torch.sigmoid(f)
        g = torch.tanh(g)
        o = torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class ManualLSTM(nn.Module):
    def __init__(self, input_size: int = 9, hidden_size: int = 18) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = LSTMCell(input_size, hidden_size)

    def forward(self, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        batch = x.size(1)
        h = torch.zeros(batch, self.hidden_size, dtype=x.dtype, device=x.device)
        c = torch.zeros(batch, self.hidden_size, dtype=x.dtype, device=x.device)
        outputs: list[Tensor] = []
        for x_t in x:
            h, c = self.cell(x_t, (h, c))
            outputs.append(h)
        return torch.stack(outputs), (h, c)


def build_model() -> nn.Module:
    return ManualLSTM()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(6, 4, 9)
