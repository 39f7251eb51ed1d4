"""A packed two-layer BiLSTM text classifier that reads its final states from h_n.

Layout: batch-first. Input token ids [B=4, T=11] padded with 0 and their true lengths [B]
(11, 6, 9, 3, unsorted); output class logits [B, C=5] for nn.CrossEntropyLoss.

h_n is [num_layers · 2, B, H]; rows -2 and -1 are the top layer's forward state after each
sequence's last real token and its backward state after the first token, so no padding is read.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence


class BiLSTMClassifier(nn.Module):
    def __init__(self, vocab_size: int = 80, embed_dim: int = 16, hidden_size: int = 24, num_classes: int = 5) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=2, bidirectional=True, batch_first=True, dropout=0.2)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        embedded = self.embedding(tokens)
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        final = torch.cat([h_n[-2], h_n[-1]], dim=-1)
        return self.fc(self.dropout(final))


def build_model() -> nn.Module:
    return BiLSTMClassifier().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([11, 6, 9, 3])
    tokens = torch.randint(1, 80, (4, 11))
    pad = torch.arange(11).unsqueeze(0) >= lengths.unsqueeze(1)
    return tokens.masked_fill(pad, 0), lengths
