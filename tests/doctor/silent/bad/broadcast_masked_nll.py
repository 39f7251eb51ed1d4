"""One decoder step of a GRU chatbot together with its masked NLL loss.

Layout: the step's input tokens [B=5], the previous hidden state [1, B, H=16], the target tokens
[B] and the mask [B] (False where the target sentence has already ended); output the masked mean
negative log-likelihood (a scalar). The gathered probabilities are [B, 1] and are squeezed to
[B] so that they line up with the mask.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class DecoderStepLoss(nn.Module):
    def __init__(self, vocab_size: int = 30, embed_dim: int = 12, hidden_size: int = 16) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: Tensor, hidden: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, _ = self.gru(self.embedding(tokens).unsqueeze(0), hidden)
        probs = torch.softmax(self.out(out.squeeze(0)), dim=1)  # [B, V]
        nll = -torch.log(torch.gather(probs, 1, target.view(-1, 1)))  # doctor: broadcast
        return nll.masked_select(mask).mean()


def build_model() -> nn.Module:
    return DecoderStepLoss().eval()


def example_inputs() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    torch.manual_seed(0)
    tokens = torch.randint(0, 30, (5,))
    hidden = torch.randn(1, 5, 16)
    target = torch.randint(0, 30, (5,))
    mask = torch.tensor([True, True, False, True, False])
    return tokens, hidden, target, mask
