"""A batch-first GRU classifier over fixed-length token windows.

Layout: batch-first (nn.GRU(batch_first=True)). Input token ids [B=4, T=9], no padding; meant
to output class logits [B, 6] for nn.CrossEntropyLoss.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class WindowGRUClassifier(nn.Module):
    def __init__(self, vocab_size: int = 30, embed_dim: int = 14, hidden_size: int = 22, num_classes: int = 6) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        out, _ = self.gru(self.embedding(tokens))
        last = out[-1]  # doctor: batch-time
        return self.fc(last)


def build_model() -> nn.Module:
    return WindowGRUClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 30, (4, 9))
