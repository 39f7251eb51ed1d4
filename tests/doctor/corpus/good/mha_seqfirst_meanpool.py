"""A sequence-first self-attention classifier (nn.MultiheadAttention default layout), mean over time.

Layout: sequence-first (nn.MultiheadAttention without batch_first). Input x [T=8, B=3, F=10]
(equal lengths); output class logits [B, 5]. After attention the states are [T, B, 32], so
mean(dim=0) averages each sample over its own time steps.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SelfAttentionClassifier(nn.Module):
    def __init__(self, num_features: int = 10, d_model: int = 32, heads: int = 4, num_classes: int = 5) -> None:
        super().__init__()
        self.input_proj = nn.Linear(num_features, d_model)
        self.attention = nn.MultiheadAttention(d_model, heads)
        self.norm = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = self.input_proj(x)  # [T, B, d]
        attended, _ = self.attention(h, h, h, need_weights=False)
        h = self.norm(h + attended)
        return self.fc(h.mean(dim=0))


def build_model() -> nn.Module:
    return SelfAttentionClassifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(8, 3, 10)
