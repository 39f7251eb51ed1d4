"""An LSTM sentiment classifier used for single-review inference.

Layout: batch-first token ids [B=1, T=12] (one review at a time, as in a serving endpoint);
output class logits [B, 3]. h_n is [num_layers=1, B, H=20]; the classifier reads the top layer,
h_n[-1] = [B, H].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SentimentLSTM(nn.Module):
    def __init__(self, vocab_size: int = 60, embed_dim: int = 16, hidden_size: int = 20, num_classes: int = 3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        _, (h_n, _) = self.lstm(self.embedding(tokens))
        return self.fc(h_n.squeeze())  # doctor: batch-axis


def build_model() -> nn.Module:
    return SentimentLSTM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 60, (1, 12))
