"""A classifier head that defines a dropout and forgets it; forward calls `F.dropout` on another tensor,
so the name `dropout` does appear in the code that ran — as torch's function, not this module.

Layout: features [B=4, 10]; output logits [B, 3].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.dropout = nn.Dropout(0.3)  # doctor: dead-module
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.relu(self.fc1(F.dropout(x, 0.1, self.training)))
        return self.fc2(h)


def build_model() -> nn.Module:
    return Head().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 10)
