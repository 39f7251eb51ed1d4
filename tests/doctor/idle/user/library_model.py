"""A user's classifier built on a library's encoder (`tinylib`, outside this folder, as an installed
package would be).

Layout: x [B=2, T=5, D=16]; output logits [B, 4].
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from tinylib import LibEncoder


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = LibEncoder(16, layers=3)
        self.head = nn.Linear(16, 4)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x).mean(1))


def build_model() -> nn.Module:
    return Classifier().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 5, 16)
