"""A GRU reader that encodes a question and a passage as one sequence (question first).

Layout: batch-first embeddings question [B=3, T=8, E=12] and passage [B, T=8, E], both padded to
the same length 8 by the data pipeline; output one answerability logit per sample [B, 1]. The
two are joined along time (dim 1) into [B, 16, E] before the GRU.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class JointReader(nn.Module):
    def __init__(self, embed_dim: int = 12, hidden_size: int = 16) -> None:
        super().__init__()
        self.gru = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, question: Tensor, passage: Tensor) -> Tensor:
        joint = torch.cat([question, passage], dim=0)  # doctor: batch-axis
        _, h_n = self.gru(joint)
        return self.head(h_n[-1])


def build_model() -> nn.Module:
    return JointReader().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(3, 8, 12), torch.randn(3, 8, 12)
