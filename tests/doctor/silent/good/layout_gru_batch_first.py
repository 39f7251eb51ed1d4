"""A GRU classifier over frame features that reads the last step's output.

Layout: batch-first frames x [B=4, T=9, F=5]; output class logits [B, 3]. The GRU is built with
batch_first=True, so its output is [B, T, H] and out[:, -1] is each sample's last step.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LastStepGRU(nn.Module):
    def __init__(self, num_features: int = 5, hidden_size: int = 16, num_classes: int = 3) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.gru(x)
        return self.fc(out[:, -1, :])


def build_model() -> nn.Module:
    return LastStepGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 9, 5)
