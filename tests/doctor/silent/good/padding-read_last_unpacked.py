"""An LSTM sentiment classifier over padded token batches (no packing).

Layout: batch-first token ids [B=4, T=10] padded with 0 after each review, lengths [B]
(10, 6, 3, 8); output class logits [B, 2]. The summary is the output at each review's last real
token, out[b, length_b − 1].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LastTokenLSTM(nn.Module):
    def __init__(self, vocab_size: int = 50, embed_dim: int = 12, hidden_size: int = 16, num_classes: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        out, _ = self.lstm(self.embedding(tokens))  # [B, T, H]
        last = out[torch.arange(out.size(0)), lengths - 1]
        return self.fc(last)


def build_model() -> nn.Module:
    return LastTokenLSTM().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([10, 6, 3, 8])
    tokens = torch.randint(1, 50, (4, 10))
    pad = torch.arange(10).unsqueeze(0) >= lengths.unsqueeze(1)
    return tokens.masked_fill(pad, 0), lengths
