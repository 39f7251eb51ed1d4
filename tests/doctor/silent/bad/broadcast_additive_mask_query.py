"""Attention pooling with one learned query over padded frames.

Layout: batch-first frames x [B=3, T=8, F=10] and a padding mask [B, T] (1.0 = real frame);
output class logits [B, 4]. The scores are [B, 1, T] (one query per sample); the mask is lifted
to [B, 1, T] before it is added, so each sample is masked by its own row.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class QueryPooling(nn.Module):
    def __init__(self, num_features: int = 10, hidden_size: int = 16, num_classes: int = 4) -> None:
        super().__init__()
        self.proj = nn.Linear(num_features, hidden_size)
        self.query = nn.Parameter(torch.randn(1, 1, hidden_size) * 0.5)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        keys = torch.tanh(self.proj(x))  # [B, T, H]
        scores = self.query @ keys.transpose(1, 2)  # [B, 1, T]
        scores = scores + (1.0 - mask) * -1e4  # doctor: broadcast
        weights = torch.softmax(scores, dim=-1)
        pooled = (weights @ keys).squeeze(1)  # [B, H]
        return self.fc(pooled)


def build_model() -> nn.Module:
    return QueryPooling().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([8, 5, 3])
    mask = (torch.arange(8).unsqueeze(0) < lengths.unsqueeze(1)).float()
    return torch.randn(3, 8, 10), mask
