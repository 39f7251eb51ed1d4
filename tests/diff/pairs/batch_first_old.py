"""A sequence tagger whose LSTM is sequence-first: the batch-first input is transposed around it."""

import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.lstm = nn.LSTM(16, 24)
        self.tag = nn.Linear(24, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)  # [B, T, 16]
        out, _ = self.lstm(x.transpose(0, 1))
        return self.tag(out.transpose(0, 1))


def build_model() -> nn.Module:
    return Tagger()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randint(0, 100, (3, 9)),)
