"""A sequence tagger whose LSTM is batch-first: no transposes."""

import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.lstm = nn.LSTM(16, 24, batch_first=True)
        self.tag = nn.Linear(24, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(ids))
        return self.tag(out)


def build_model() -> nn.Module:
    return Tagger()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randint(0, 100, (3, 9)),)
