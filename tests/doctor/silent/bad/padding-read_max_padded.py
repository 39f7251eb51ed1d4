"""A packed BiLSTM sentence encoder with max pooling over each sentence's real steps (InferSent style).

Layout: batch-first word vectors x [B=4, T=8, E=10] zero-padded, lengths [B] (8, 3, 6, 5);
output class logits [B, 3]. pad_packed_sequence fills the steps after each length with 0, so
the max runs over each sequence's first `length` steps only.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class MaxPoolBiLSTM(nn.Module):
    def __init__(self, embed_dim: int = 10, hidden_size: int = 12, num_classes: int = 3) -> None:
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True)  # [B, T, 2H]
        pooled = out.max(dim=1).values  # doctor: padding-read
        return self.fc(pooled)


def build_model() -> nn.Module:
    return MaxPoolBiLSTM().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([8, 3, 6, 5])
    pad = torch.arange(8).unsqueeze(0) >= lengths.unsqueeze(1)
    return torch.randn(4, 8, 10).masked_fill(pad.unsqueeze(-1), 0.0), lengths
