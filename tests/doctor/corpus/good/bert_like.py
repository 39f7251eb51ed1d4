"""A small BERT-style encoder called with keyword arguments that returns a dict.

Layout: batch-first. Inputs (keywords) input_ids [B=3, T=10] and attention_mask [B, T]
(1 = real token, 0 = padding; the second sequence has 4 padded positions); outputs
{"last_hidden_state": [B, T, 32], "pooler_output": [B, 32]}.

Self-attention adds (1 − mask) · min to the scores of padded keys before the softmax over keys;
the pooler reads the first ([CLS]) position of every sequence.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class Embeddings(nn.Module):
    def __init__(self, vocab_size: int, hidden: int, max_positions: int) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_positions, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(max_positions).unsqueeze(0), persistent=False)

    def forward(self, input_ids: Tensor) -> Tensor:
        positions = self.position_ids[:, : input_ids.size(1)]
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(0.1)

    def split(self, x: Tensor) -> Tensor:
        batch, steps, _ = x.shape
        return x.view(batch, steps, self.heads, self.head_dim).transpose(1, 2)  # [B, heads, T, d]

    def forward(self, hidden_states: Tensor, mask: Tensor) -> Tensor:
        q = self.split(self.query(hidden_states))
        k = self.split(self.key(hidden_states))
        v = self.split(self.value(hidden_states))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + mask
        probs = self.dropout(scores.softmax(dim=-1))
        context = (probs @ v).transpose(1, 2)
        return context.reshape(hidden_states.shape)


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, intermediate: int) -> None:
        super().__init__()
        self.attention = SelfAttention(hidden, heads)
        self.attention_dense = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        attended = self.dropout(self.attention_dense(self.attention(x, mask)))
        x = self.attention_norm(x + attended)
        ff = self.dropout(self.output(nn.functional.gelu(self.intermediate(x))))
        return self.output_norm(x + ff)


class BertLike(nn.Module):
    def __init__(
        self, vocab_size: int = 70, hidden: int = 32, heads: int = 4, layers: int = 2, max_positions: int = 64
    ) -> None:
        super().__init__()
        self.embeddings = Embeddings(vocab_size, hidden, max_positions)
        self.layers = nn.ModuleList(Layer(hidden, heads, 64) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> dict[str, Tensor]:
        x = self.embeddings(input_ids)
        extended = attention_mask[:, None, None, :].to(x.dtype)  # [B, 1, 1, T]
        extended = (1.0 - extended) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, extended)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return {"last_hidden_state": x, "pooler_output": pooled}


def build_model() -> nn.Module:
    return BertLike().eval()


def example_inputs() -> dict[str, Tensor]:
    torch.manual_seed(0)
    input_ids = torch.randint(1, 70, (3, 10))
    attention_mask = torch.ones(3, 10, dtype=torch.long)
    attention_mask[1, 6:] = 0
    return {"input_ids": input_ids.masked_fill(attention_mask == 0, 0), "attention_mask": attention_mask}
