"""A packed BiLSTM sequence tagger: one tag score vector per token.

Layout: batch-first. Input token ids [B=3, T=8] padded with 0 and their lengths [B] (8, 5, 2);
output per-token tag logits [B, T, 9]. The head is per token, so keeping the time axis is right;
the loss masks the padded positions.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size: int = 40, embed_dim: int = 12, hidden_size: int = 16, num_tags: int = 9) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.25)
        self.hidden2tag = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False)
        packed_out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=tokens.size(1))
        return self.hidden2tag(self.dropout(out))


def build_model() -> nn.Module:
    return BiLSTMTagger().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([8, 5, 2])
    tokens = torch.randint(1, 40, (3, 8))
    pad = torch.arange(8).unsqueeze(0) >= lengths.unsqueeze(1)
    return tokens.masked_fill(pad, 0), lengths
