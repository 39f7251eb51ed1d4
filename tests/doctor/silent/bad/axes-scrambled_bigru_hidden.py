"""A BiGRU sentence classifier whose sentence vector is the two final states side by side.

Layout: batch-first token ids [B=5, T=8]; output class logits [B, 3]. h_n of the one-layer
BiGRU is [2, B, H=12] (direction first); the sentence vector [B, 2·H] puts each sample's forward
and backward final states side by side, so the direction axis moves behind B.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BiGRUClassifier(nn.Module):
    def __init__(self, vocab_size: int = 50, embed_dim: int = 10, hidden_size: int = 12, num_classes: int = 3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        _, h_n = self.gru(self.embedding(tokens))  # [2, B, H]
        sentence = h_n.view(tokens.size(0), -1)  # doctor: axes-scrambled
        return self.fc(sentence)


def build_model() -> nn.Module:
    return BiGRUClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 50, (5, 8))
