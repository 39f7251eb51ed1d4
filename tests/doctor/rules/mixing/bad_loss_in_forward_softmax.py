"""A sentence classifier that computes its own training loss, on probabilities.

Layout: token ids [B=4, T=10] and labels [B]; output the mean cross-entropy (a scalar). F.cross_entropy
applies log-softmax itself, so the softmax before it squashes the scores twice.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class BagOfWords(nn.Module):
    def __init__(self, vocab: int = 50, embed: int = 16, classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, embed)
        self.head = nn.Linear(embed, classes)

    def forward(self, tokens: Tensor, labels: Tensor) -> Tensor:
        probs = F.softmax(self.head(self.embed(tokens)), dim=-1)  # expect: probabilities
        return F.cross_entropy(probs, labels)


def build_model() -> nn.Module:
    return BagOfWords().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randint(0, 50, (4, 10)), torch.randint(0, 4, (4,))
