"""A neural collaborative-filtering model trained with nn.BCEWithLogitsLoss.

Layout: user ids [B=5] and item ids [B]; output one click logit per pair [B, 1]
(nn.BCEWithLogitsLoss applies the sigmoid itself).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

criterion = nn.BCEWithLogitsLoss()


class NCF(nn.Module):
    def __init__(self, num_users: int = 20, num_items: int = 30, embed_dim: int = 8) -> None:
        super().__init__()
        self.users = nn.Embedding(num_users, embed_dim)
        self.items = nn.Embedding(num_items, embed_dim)
        self.mlp = nn.Sequential(nn.Linear(2 * embed_dim, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, user: Tensor, item: Tensor) -> Tensor:
        logits = self.mlp(torch.cat([self.users(user), self.items(item)], dim=1))
        return torch.sigmoid(logits)  # doctor: probabilities


def build_model() -> nn.Module:
    return NCF().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randint(0, 20, (5,)), torch.randint(0, 30, (5,))
