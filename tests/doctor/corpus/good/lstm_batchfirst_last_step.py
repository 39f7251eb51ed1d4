"""A batch-first LSTM classifier over fixed-length token windows that reads out[:, -1, :].

Layout: batch-first (nn.LSTM(batch_first=True)). Input token ids [B=4, T=9], every window 9
tokens long (no padding); output class logits [B, 6].

The output is [B, T, H], so out[:, -1, :] is every sequence's state after its last token.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LastStepClassifier(nn.Module):
    def __init__(self, vocab_size: int = 30, embed_dim: int = 14, hidden_size: int = 22, num_classes: int = 6) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        return self.fc(out[:, -1, :])


def build_model() -> nn.Module:
    return LastStepClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 30, (4, 9))
