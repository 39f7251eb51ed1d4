"""A BiGRU encoder whose summary is built [reverse | forward] and whose second half seeds a reverse decoder.

Layout: batch-first ids [B=2, T=6]; output [B, 2·H]. The code treats summary[:, H:] as the backward final
state; with the swapped cat it is the forward one.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Encoder(nn.Module):
    def __init__(self, hidden_size: int = 8) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.embed = nn.Embedding(30, 6)
        self.rnn = nn.GRU(6, hidden_size, batch_first=True, bidirectional=True)
        self.backward_head = nn.Linear(hidden_size, hidden_size)

    def forward(self, ids: Tensor) -> Tensor:
        out, hidden = self.rnn(self.embed(ids))
        summary = torch.cat((hidden[-1], hidden[-2]), dim=-1)  # expect: bidirectional
        backward_state = summary[:, self.hidden_size :]
        return torch.cat([self.backward_head(backward_state), out.mean(dim=1)[:, : self.hidden_size]], dim=-1)


def build_model() -> nn.Module:
    return Encoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 30, (2, 6))
