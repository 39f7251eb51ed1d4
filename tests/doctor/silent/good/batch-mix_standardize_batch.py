"""A time-series classifier that z-normalises every input window on its own (UCR style).

Layout: batch-first windows x [B=4, T=12, F=3] of sensors with very different offsets and
scales; output class logits [B, 3]. Each sample's window is standardised with its own mean and
standard deviation over time (dim 1) before the GRU.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ZNormGRU(nn.Module):
    def __init__(self, num_features: int = 3, hidden_size: int = 16, num_classes: int = 3) -> None:
        super().__init__()
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        z = (x - x.mean(dim=1, keepdim=True)) / (x.std(dim=1, keepdim=True) + 1e-5)
        _, h_n = self.gru(z)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    return ZNormGRU().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    offsets = torch.tensor([[0.0, 10.0, -3.0], [1.0, 20.0, -1.0], [-2.0, 5.0, 0.0], [0.5, 15.0, -4.0]])
    return torch.randn(4, 12, 3) * torch.tensor([1.0, 5.0, 0.2]) + offsets.unsqueeze(1)
