"""An ELMo-style two-layer BiGRU that predicts the token after and the token before a window.

Layout: batch-first token ids [B=3, T=8]; output the next-token and previous-token logits side
by side [B, 2·V] (V=25). h_n is [4, B, H=10] (layer 0 fwd, layer 0 bwd, layer 1 fwd, layer 1 bwd);
the next token is predicted from the top forward state h_n[-2], the previous one from the top
backward state h_n[-1].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BiLMHeads(nn.Module):
    def __init__(self, vocab_size: int = 25, embed_dim: int = 8, hidden_size: int = 10) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_size, num_layers=2, batch_first=True, bidirectional=True)
        self.next_head = nn.Linear(hidden_size, vocab_size)
        self.prev_head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: Tensor) -> Tensor:
        _, h_n = self.gru(self.embedding(tokens))  # [4, B, H]
        forward_final = h_n[-1]  # doctor: bidirectional
        backward_final = h_n[-1]
        return torch.cat([self.next_head(forward_final), self.prev_head(backward_final)], dim=1)


def build_model() -> nn.Module:
    return BiLMHeads().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 25, (3, 8))
