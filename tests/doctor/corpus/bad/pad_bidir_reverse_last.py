"""A bidirectional LSTM classifier over fixed-length token windows.

Layout: batch-first (nn.LSTM(batch_first=True, bidirectional=True)). Input token ids
[B=3, T=10], no padding; output class logits [B, 4]. The LSTM output is [B, T, 2·H]: forward
states in the first H features, backward states in the last H.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BiLSTMWindowClassifier(nn.Module):
    def __init__(self, vocab_size: int = 40, embed_dim: int = 12, hidden_size: int = 16, num_classes: int = 4) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        last = out[:, -1, :]  # doctor: bidirectional
        return self.fc(last)


def build_model() -> nn.Module:
    return BiLSTMWindowClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 40, (3, 10))
