"""A word-level LSTM language model with tied input and output embeddings (pytorch/examples style).

Layout: sequence-first (nn.LSTM without batch_first). Input token ids [T=7, B=3] (vocabulary 45);
outputs next-token logits [T, B, 45] (one prediction per position, so the time axis stays) and
the final (h_n, c_n), each [2, B, 16], to carry into the next truncated-BPTT chunk.
The decoder's weight is the embedding's weight (weight tying, so embed size = hidden size).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TiedLSTMLM(nn.Module):
    def __init__(self, vocab_size: int = 45, hidden_size: int = 16, num_layers: int = 2, dropout: float = 0.2) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab_size, hidden_size)
        self.rnn = nn.LSTM(hidden_size, hidden_size, num_layers, dropout=dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)
        self.decoder.weight = self.encoder.weight

    def forward(
        self, tokens: Tensor, hidden: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        emb = self.drop(self.encoder(tokens))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden


def build_model() -> nn.Module:
    return TiedLSTMLM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 45, (7, 3))
