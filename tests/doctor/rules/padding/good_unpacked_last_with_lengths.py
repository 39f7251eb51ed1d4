"""An LSTM over padded embeddings that gathers each sequence's last real step with its length.

Layout: batch-first ids [B=3, T=6], lengths (6, 3, 4); output [B, 2].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LastReal(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(20, 5, padding_idx=0)
        self.lstm = nn.LSTM(5, 7, batch_first=True)
        self.fc = nn.Linear(7, 2)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        last = out[torch.arange(out.size(0)), lengths - 1]
        return self.fc(last)


def build_model() -> nn.Module:
    return LastReal().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randint(1, 20, (3, 6)), torch.tensor([6, 3, 4])
