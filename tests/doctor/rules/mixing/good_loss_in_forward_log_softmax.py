"""The twin of bad_loss_in_forward_softmax, written the pytorch/examples way: log_softmax and nll_loss."""

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
        log_probs = F.log_softmax(self.head(self.embed(tokens)), dim=-1)
        return F.nll_loss(log_probs, labels)


def build_model() -> nn.Module:
    return BagOfWords().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randint(0, 50, (4, 10)), torch.randint(0, 4, (4,))
