"""A minimal gated unit (one forget gate) run over a sequence by hand."""

import torch
from torch import nn


class MGUCell(nn.Module):
    def __init__(self, n_in: int, hidden: int) -> None:
        super().__init__()
        self.x2f = nn.Linear(n_in, hidden)
        self.h2f = nn.Linear(hidden, hidden, bias=False)
        self.x2n = nn.Linear(n_in, hidden)
        self.h2n = nn.Linear(hidden, hidden, bias=False)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        f = torch.sigmoid(self.x2f(x) + self.h2f(h))
        n = torch.tanh(self.x2n(x) + self.h2n(f * h))
        return (1 - f) * h + f * n


class Tagger(nn.Module):
    def __init__(self, n_in: int = 6, hidden: int = 10) -> None:
        super().__init__()
        self.hidden = hidden
        self.cell = MGUCell(n_in, hidden)
        self.out = nn.Linear(hidden, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
        return self.out(h)


def build_model() -> nn.Module:
    return Tagger()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(2, 5, 6),)
