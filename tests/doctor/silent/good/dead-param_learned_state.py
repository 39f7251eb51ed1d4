"""A batch-first LSTM tagger with a learned initial hidden and cell state.

Layout: batch-first token ids [B=3, T=9]; output per-token tag logits [B, T, 7]. The learned
h0 and c0 are [1, 1, H=16] parameters, expanded over the batch and passed to the LSTM.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LearnedStateTagger(nn.Module):
    def __init__(self, vocab_size: int = 40, embed_dim: int = 12, hidden_size: int = 16, num_tags: int = 7) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.h0 = nn.Parameter(torch.randn(1, 1, hidden_size) * 0.1)
        self.c0 = nn.Parameter(torch.randn(1, 1, hidden_size) * 0.1)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_tags)

    def initial_state(self, batch: int) -> tuple[Tensor, Tensor]:
        return self.h0.expand(-1, batch, -1).contiguous(), self.c0.expand(-1, batch, -1).contiguous()

    def forward(self, tokens: Tensor) -> Tensor:
        out, _ = self.lstm(self.embedding(tokens), self.initial_state(tokens.size(0)))
        return self.fc(out)


def build_model() -> nn.Module:
    return LearnedStateTagger().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 40, (3, 9))
