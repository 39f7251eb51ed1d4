"""A GRUCell caption-style decoder that feeds its own argmax token back at every step (greedy).

Layout: per-sample. Input image features [B=4, F=18]; outputs the step logits [B, S=6, V=30]
and the chosen tokens [B, 6]. The number of steps is a fixed generation length (6), not an
input size. The first input token is <bos> (id 1) for every sample.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

BOS = 1


class GreedyDecoder(nn.Module):
    def __init__(
        self, feature_size: int = 18, vocab_size: int = 30, embed_dim: int = 12, hidden_size: int = 24, steps: int = 6
    ) -> None:
        super().__init__()
        self.steps = steps
        self.init_state = nn.Linear(feature_size, hidden_size)
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.cell = nn.GRUCell(embed_dim, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        h = torch.tanh(self.init_state(features))
        token = torch.full((features.size(0),), BOS, dtype=torch.long, device=features.device)
        logits: list[Tensor] = []
        tokens: list[Tensor] = []
        for _ in range(self.steps):
            h = self.cell(self.embedding(token), h)
            step_logits = self.out(h)
            token = step_logits.argmax(dim=-1)
            logits.append(step_logits)
            tokens.append(token)
        return torch.stack(logits, dim=1), torch.stack(tokens, dim=1)


def build_model() -> nn.Module:
    return GreedyDecoder()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 18)
