"""A hand-written GRU cell unrolled over a batch-first sequence (a tiny language model).

Layout: batch-first token ids [B=2, T=7]; output next-token logits [B, T, V=30]. The reset gate
r and the update gate z come from two different Linear layers over [x_t, h].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ManualGRULM(nn.Module):
    def __init__(self, vocab_size: int = 30, embed_dim: int = 10, hidden_size: int = 12) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.reset = nn.Linear(embed_dim + hidden_size, hidden_size)
        self.update = nn.Linear(embed_dim + hidden_size, hidden_size)
        self.candidate = nn.Linear(embed_dim + hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: Tensor) -> Tensor:
        x = self.embedding(tokens)
        h = x.new_zeros(x.size(0), self.hidden_size)
        outputs = []
        for t in range(x.size(1)):
            xh = torch.cat([x[:, t], h], dim=1)
            r = torch.sigmoid(self.reset(xh))
            z = torch.sigmoid(self.reset(xh))  # doctor: shared-gate
            n = torch.tanh(self.candidate(torch.cat([x[:, t], r * h], dim=1)))
            h = (1 - z) * h + z * n
            outputs.append(h)
        return self.out(torch.stack(outputs, dim=1))


def build_model() -> nn.Module:
    return ManualGRULM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 30, (2, 7))
