"""A model whose forward pass runs about 50,000 ops but draws as a handful of boxes: greedy decoding
without a key/value cache, the way a first attention decoder is often written. Step t attends over the
t + 1 tokens so far, so every step has its own shapes."""

import torch
import torch.nn.functional as F
from torch import nn

STEPS = 4000


class NaiveDecoder(nn.Module):
    def __init__(self, vocab: int = 64, dim: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)
        self.scale = dim**-0.5

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens)
        steps = []
        for t in range(tokens.shape[1]):
            prefix = h[:, : t + 1]
            scores = self.q(h[:, t : t + 1]) @ self.k(prefix).transpose(1, 2) * self.scale
            steps.append(self.o(F.softmax(scores, dim=-1) @ self.v(prefix)))
        return self.head(self.norm(torch.cat(steps, dim=1) + h))


def build_model() -> nn.Module:
    return NaiveDecoder().eval()


def example_inputs() -> torch.Tensor:
    return torch.randint(0, 64, (1, STEPS))
