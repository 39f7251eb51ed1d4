"""A sequence-first BiLSTM classifier that summarises each sequence with both final states.

Layout: sequence-first x [T=9, B=4, F=6], equal lengths; output class logits [B, 3]. The output
is [T, B, 2·H] (H=12); the forward half is final at the last step, the backward half at the first
step, so the summary is cat(out[-1, :, :H], out[0, :, H:]).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SeqFirstBiLSTM(nn.Module):
    def __init__(self, num_features: int = 6, hidden_size: int = 12, num_classes: int = 3) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.lstm = nn.LSTM(num_features, hidden_size, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x)  # [T, B, 2H]
        final = out[-1]  # doctor: bidirectional
        return self.fc(final)


def build_model() -> nn.Module:
    return SeqFirstBiLSTM().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(9, 4, 6)
