"""A two-layer BiLSTM text classifier that reads the top layer's final states from h_n.

Layout: batch-first token ids [B=4, T=10]; output class logits [B, 6]. h_n is
[num_layers·2 = 4, B, H=14], ordered (layer 0 fwd, layer 0 bwd, layer 1 fwd, layer 1 bwd); the
top layer's states are h_n[-2] and h_n[-1].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TwoLayerBiLSTM(nn.Module):
    def __init__(self, vocab_size: int = 70, embed_dim: int = 12, hidden_size: int = 14, num_classes: int = 6) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        _, (h_n, _) = self.lstm(self.embedding(tokens))  # [4, B, H]
        final = torch.cat([h_n[-2], h_n[-1]], dim=1)
        return self.fc(final)


def build_model() -> nn.Module:
    return TwoLayerBiLSTM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 70, (4, 10))
