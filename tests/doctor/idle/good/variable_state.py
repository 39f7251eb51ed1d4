"""A tagger in the style of the PyTorch BiLSTM-CRF tutorial: the initial state is made fresh in every
forward pass and wrapped in the legacy `torch.autograd.Variable`.

Layout: a sentence of token ids [T=6]; embeddings viewed as [T, 1, 8]; output tag scores [T, 5].
"""

from __future__ import annotations

import torch
from torch import Tensor, autograd, nn


class Tagger(nn.Module):
    def __init__(self, vocab: int = 20, dim: int = 8, hidden: int = 6, tags: int = 5) -> None:
        super().__init__()
        self.hidden_dim = hidden
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden // 2, bidirectional=True)
        self.out = nn.Linear(hidden, tags)

    def init_hidden(self) -> tuple[Tensor, Tensor]:
        return (
            autograd.Variable(torch.randn(2, 1, self.hidden_dim // 2)),
            autograd.Variable(torch.randn(2, 1, self.hidden_dim // 2)),
        )

    def forward(self, sentence: Tensor) -> Tensor:
        hidden = self.init_hidden()
        embeds = self.embed(sentence).view(len(sentence), 1, -1)
        lstm_out, _ = self.lstm(embeds, hidden)
        return self.out(lstm_out.view(len(sentence), self.hidden_dim))


def build_model() -> nn.Module:
    return Tagger().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 20, (6,))
