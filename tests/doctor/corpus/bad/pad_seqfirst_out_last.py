"""A packed sequence-first LSTM sentence classifier over padded token ids.

Layout: sequence-first. Input token ids [T=7, B=3] padded with 0 after each sentence and the
lengths [B] (7, 4, 6); output class logits [B, 5].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class PackedLSTMClassifier(nn.Module):
    def __init__(self, vocab_size: int = 50, embed_dim: int = 12, hidden_size: int = 20, num_classes: int = 5) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(self.embedding(tokens), lengths, enforce_sorted=False)
        packed_out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(packed_out)  # [T, B, H], zeros after each sentence's end
        last = out[-1]  # doctor: padding-read
        return self.fc(last)


def build_model() -> nn.Module:
    return PackedLSTMClassifier()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([7, 4, 6])
    tokens = torch.randint(1, 50, (7, 3))
    pad = torch.arange(7).unsqueeze(1) >= lengths.unsqueeze(0)  # [T, B]
    return tokens.masked_fill(pad, 0), lengths
