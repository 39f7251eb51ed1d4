"""An attention-pooling classifier trained with nn.CrossEntropyLoss that also returns its attention
weights for inspection: the weights are a softmax the model uses, not scores for the loss.

Layout: batch-first x [B=3, T=7, F=5]; outputs logits [B, 4] and weights [B, T].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

criterion = nn.CrossEntropyLoss()


class AttentionPool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(5, 12, batch_first=True)
        self.score = nn.Linear(12, 1)
        self.head = nn.Linear(12, 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h, _ = self.gru(x)
        weights = torch.softmax(self.score(h).squeeze(-1), dim=1)
        pooled = torch.bmm(weights.unsqueeze(1), h).squeeze(1)
        return self.head(pooled), weights


def build_model() -> nn.Module:
    return AttentionPool().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 7, 5)
