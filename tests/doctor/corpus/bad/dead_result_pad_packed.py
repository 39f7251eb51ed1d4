"""A packed BiLSTM text classifier that reads its final states from h_n.

Layout: batch-first. Input token ids [B=4, T=11] padded with 0 and the lengths [B]
(11, 6, 9, 3); output class logits [B, 5].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class PackedBiLSTM(nn.Module):
    def __init__(self, vocab_size: int = 80, embed_dim: int = 16, hidden_size: int = 24, num_classes: int = 5) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False)
        packed_out, (h_n, _) = self.lstm(packed)
        outputs, _ = pad_packed_sequence(packed_out, batch_first=True)  # doctor: dead-result
        final = torch.cat([h_n[-2], h_n[-1]], dim=-1)
        return self.fc(final)


def build_model() -> nn.Module:
    return PackedBiLSTM()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([11, 6, 9, 3])
    tokens = torch.randint(1, 80, (4, 11))
    pad = torch.arange(11).unsqueeze(0) >= lengths.unsqueeze(1)
    return tokens.masked_fill(pad, 0), lengths
