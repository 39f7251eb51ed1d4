"""A keypoint-sequence classifier with BatchNorm over the input features.

Layout: batch-first pose features x [B=4, T=10, F=6] (windows of 10 frames, 3 joints × (x, y));
output class logits [B, 5]. BatchNorm1d normalises each of the F features over batch and time,
so it runs on the transposed [B, F, T] tensor. The running statistics stand for a trained model.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

SEQ_LEN = 10


class PoseGRU(nn.Module):
    def __init__(self, num_features: int = 6, hidden_size: int = 16, num_classes: int = 5) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features)
        self.gru = nn.GRU(num_features, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.bn(x.transpose(1, 2)).transpose(1, 2)
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    model = PoseGRU()
    with torch.no_grad():  # statistics of a trained model
        n = model.bn.num_features
        model.bn.running_mean.copy_(torch.linspace(-1.0, 1.0, n))
        model.bn.running_var.copy_(torch.linspace(0.5, 2.0, n))
    return model.eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, SEQ_LEN, 6)
