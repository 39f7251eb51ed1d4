"""A part-of-speech tagger whose nn.Softmax was built without a dim.

Layout: token ids [B=3, T=9]; output tag probabilities [B, T, K=6]. nn.Softmax() with no dim picks
torch's legacy implicit dim, which for a 3-D input is dim 0: the batch.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Tagger(nn.Module):
    def __init__(self, vocab: int = 40, embed: int = 12, hidden: int = 16, tags: int = 6) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, tags)
        self.softmax = nn.Softmax()

    def forward(self, tokens: Tensor) -> Tensor:
        states, _ = self.lstm(self.embed(tokens))
        return self.softmax(self.out(states))  # expect: batch-mix


def build_model() -> nn.Module:
    return Tagger().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 40, (3, 9))
