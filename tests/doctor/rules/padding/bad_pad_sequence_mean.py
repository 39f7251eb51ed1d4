"""Frame features of clips of different lengths, padded with pad_sequence and averaged over time.

Layout: three clips [T_i, F=6] (T = 9, 5, 3) padded sequence-first to [T=9, B=3, F]; output [B, 4]. The
mean over dim 0 divides every clip by 9.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pad_sequence


class ClipClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 12)
        self.fc = nn.Linear(12, 4)

    def forward(self, a: Tensor, b: Tensor, c: Tensor) -> Tensor:
        frames = pad_sequence([a, b, c])  # [T, B, F]
        pooled = torch.relu(frames).mean(dim=0)  # expect: padding-read
        return self.fc(self.proj(pooled))


def build_model() -> nn.Module:
    return ClipClassifier().eval()


def example_inputs() -> tuple[Tensor, Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(9, 6), torch.randn(5, 6), torch.randn(3, 6)
