"""Bidirectional LSTM text classifier over variable-length, padded sequences.

Architecture
------------
    tokens (batch, seq), 0 = padding
      → Embedding(vocab, d, padding_idx=0)            e_t = E[w_t]
      → pack_padded_sequence (true lengths, unsorted)
      → 2-layer bidirectional LSTM (dropout between layers)
      → final = [h→_T ; h←_1] of the last layer        (batch, 2H)
      → Dropout → Linear(2H, C)                        logits (batch, C)

LSTM equations, per direction and layer (⊙ elementwise product):
    i_t = σ(W_i x_t + U_i h_{t−1} + b_i)
    f_t = σ(W_f x_t + U_f h_{t−1} + b_f)
    g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)
    o_t = σ(W_o x_t + U_o h_{t−1} + b_o)
    c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)
The forward direction runs t = 1 … L, the backward direction t = L … 1, where
L is each sequence's true length (packing skips the padding). Then
    logits = W_c · dropout([h→_L ; h←_1]) + b_c,   p = softmax(logits).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence


class BiLSTMClassifier(nn.Module):
    def __init__(
        self,
        vocab_size: int = 100,
        embed_dim: int = 16,
        hidden_size: int = 32,
        num_layers: int = 2,
        num_classes: int = 4,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(
            embed_dim,
            hidden_size,
            num_layers=num_layers,
            bidirectional=True,
            batch_first=True,
            dropout=dropout,
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        embedded = self.embedding(tokens)
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        # The per-step outputs (a PackedSequence) are not needed: the head reads the final states.
        _, (h_n, _) = self.lstm(packed)
        # h_n: (num_layers * 2, batch, H); the last two rows are the top layer's
        # forward and backward final states.
        final = torch.cat([h_n[-2], h_n[-1]], dim=1)
        logits = self.classifier(self.dropout(final))
        return logits

    def predict(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """Class probabilities, shape (batch, num_classes)."""
        return torch.softmax(self.forward(tokens, lengths), dim=-1)


def build_model() -> nn.Module:
    # Inference mode: dropout is off, so archviz can recompute (verify) the LSTM's gates.
    return BiLSTMClassifier().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    """4 padded token sequences (max length 12) and their unsorted lengths."""
    torch.manual_seed(0)
    lengths = torch.tensor([9, 12, 3, 7], dtype=torch.int64)
    max_len = int(lengths.max())
    tokens = torch.randint(1, 100, (lengths.numel(), max_len), dtype=torch.int64)
    mask = torch.arange(max_len).unsqueeze(0) >= lengths.unsqueeze(1)
    tokens = tokens.masked_fill(mask, 0)
    return tokens, lengths


if __name__ == "__main__":
    model = build_model()
    tokens, lengths = example_inputs()
    with torch.no_grad():
        logits = model(tokens, lengths)
        probs = model.predict(tokens, lengths)
    print(f"tokens {tuple(tokens.shape)}, lengths {tuple(lengths.shape)}")
    print(f"BiLSTMClassifier: logits {tuple(logits.shape)}, probs {tuple(probs.shape)}")
