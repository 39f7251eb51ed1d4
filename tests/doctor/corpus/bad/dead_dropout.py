"""A batch-first LSTM text classifier that reads its final state from h_n.

Layout: batch-first. Input token ids [B=4, T=8], no padding; output class logits [B, 5].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size: int = 60, embed_dim: int = 16, hidden_size: int = 24, num_classes: int = 5) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(0.3)  # doctor: dead-module
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        _, (h_n, _) = self.lstm(self.embedding(tokens))
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    return LSTMClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 60, (4, 8))
