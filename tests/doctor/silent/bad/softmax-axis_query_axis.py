"""Luong (dot) attention of a decoder over encoder states, for all decoder steps at once.

Layout: batch-first decoder states dec [B=3, Tq=5, H=16] and encoder states enc [B, Tk=8, H];
output per-step vocabulary logits [B, Tq, 12]. The scores are [B, Tq, Tk]; each decoder step's
weights sum to one over the encoder steps (dim -1), the axis bmm then contracts.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class DotAttentionHead(nn.Module):
    def __init__(self, hidden_size: int = 16, vocab_size: int = 12) -> None:
        super().__init__()
        self.combine = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, dec: Tensor, enc: Tensor) -> Tensor:
        scores = torch.bmm(dec, enc.transpose(1, 2))  # [B, Tq, Tk]
        weights = torch.softmax(scores, dim=1)  # doctor: softmax-axis
        context = torch.bmm(weights, enc)  # [B, Tq, H]
        return self.out(torch.tanh(self.combine(torch.cat([context, dec], dim=-1))))


def build_model() -> nn.Module:
    return DotAttentionHead().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(3, 5, 16), torch.randn(3, 8, 16)
