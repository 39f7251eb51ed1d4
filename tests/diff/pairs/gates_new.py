"""The same tagger with a GRU-style cell (update and reset gates), over a longer sequence."""

import torch
from torch import nn


class GRUishCell(nn.Module):
    def __init__(self, n_in: int, hidden: int) -> None:
        super().__init__()
        self.x2z = nn.Linear(n_in, hidden)
        self.h2z = nn.Linear(hidden, hidden, bias=False)
        self.x2r = nn.Linear(n_in, hidden)
        self.h2r = nn.Linear(hidden, hidden, bias=False)
        self.x2n = nn.Linear(n_in, hidden)
        self.h2n = nn.Linear(hidden, hidden, bias=False)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        z = torch.sigmoid(self.x2z(x) + self.h2z(h))
        r = torch.sigmoid(self.x2r(x) + self.h2r(h))
        n = torch.tanh(self.x2n(x) + self.h2n(r * h))
        return (1 - z) * h + z * n


class Tagger(nn.Module):
    def __init__(self, n_in: int = 6, hidden: int = 10) -> None:
        super().__init__()
        self.hidden = hidden
        self.cell = GRUishCell(n_in, hidden)
        self.out = nn.Linear(hidden, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
        return self.out(h)


def build_model() -> nn.Module:
    return Tagger()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(2, 7, 6),)
