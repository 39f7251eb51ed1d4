"""A graph-attention-style layer with a residual connection, on a fixed-size node set.

Layout: node features x [B=2, N=6, F=16] and an adjacency mask adj [N, N] (1 = edge);
output node class logits [B, N, 3]. The attention output ret is added to its input (residual)
before the classifier.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ResidualGraphAttention(nn.Module):
    def __init__(self, features: int = 16, num_classes: int = 3) -> None:
        super().__init__()
        self.proj = nn.Linear(features, features)
        self.score = nn.Linear(2 * features, 1)
        self.fc = nn.Linear(features, num_classes)

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        h = self.proj(x)  # [B, N, F]
        n = h.size(1)
        pairs = torch.cat([h.unsqueeze(2).expand(-1, -1, n, -1), h.unsqueeze(1).expand(-1, n, -1, -1)], dim=-1)
        scores = self.score(pairs).squeeze(-1).masked_fill(adj == 0, float("-inf"))  # [B, N, N]
        ret = F.elu(torch.softmax(scores, dim=-1) @ h)
        ret = ret + x
        return self.fc(ret)


def build_model() -> nn.Module:
    return ResidualGraphAttention().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    adj = (torch.rand(6, 6) > 0.5).float()
    adj.fill_diagonal_(1.0)
    return torch.randn(2, 6, 16), adj
