"""A prototypical / matching-network few-shot classifier trained with nn.CrossEntropyLoss.

Layout: query features [B=4, 16] and class prototypes [N=5, 16]; output logits over the 5
classes [B, N], the scaled cosine similarities (nn.CrossEntropyLoss applies log-softmax itself).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

criterion = nn.CrossEntropyLoss()


class CosinePrototypes(nn.Module):
    def __init__(self, in_features: int = 16, embed_dim: int = 12, scale: float = 10.0) -> None:
        super().__init__()
        self.encoder = nn.Linear(in_features, embed_dim)
        self.scale = scale

    def forward(self, queries: Tensor, prototypes: Tensor) -> Tensor:
        q = F.normalize(self.encoder(queries), dim=1)
        p = F.normalize(self.encoder(prototypes), dim=1)
        return self.scale * q @ p.t()


def build_model() -> nn.Module:
    return CosinePrototypes().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(4, 16), torch.randn(5, 16)
