"""A semantic-similarity MLP classifier trained with nn.CrossEntropyLoss.

Layout: query/document features x [B=4, 30]; output class logits [B, 3] (nn.CrossEntropyLoss
applies log-softmax itself).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

criterion = nn.CrossEntropyLoss()


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(30, 64),
        nn.Tanh(),
        nn.Linear(64, 3),
    ).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 30)
