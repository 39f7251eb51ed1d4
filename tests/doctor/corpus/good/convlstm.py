"""A ConvLSTM next-frame predictor (Shi et al., 2015): LSTM gates computed by a 2-D convolution.

Layout: batch-first video. Input frames [B=3, T=5, C=2, H=8, W=10]; output the predicted next
frame [B, 2, 8, 10]. The cell's state is [B, 12, H, W]; gates come from one conv over [x_t; h].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvLSTMCell(nn.Module):
    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.hidden_channels = hidden_channels
        self.gates = nn.Conv2d(
            in_channels + hidden_channels, 4 * hidden_channels, kernel_size, padding=kernel_size // 2
        )

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        i, f, o, g = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class NextFramePredictor(nn.Module):
    def __init__(self, channels: int = 2, hidden_channels: int = 12) -> None:
        super().__init__()
        self.cell = ConvLSTMCell(channels, hidden_channels)
        self.head = nn.Conv2d(hidden_channels, channels, kernel_size=1)

    def forward(self, frames: Tensor) -> Tensor:
        batch, steps, _, height, width = frames.shape
        h = frames.new_zeros(batch, self.cell.hidden_channels, height, width)
        c = frames.new_zeros(batch, self.cell.hidden_channels, height, width)
        for t in range(steps):
            h, c = self.cell(frames[:, t], (h, c))
        return self.head(h)


def build_model() -> nn.Module:
    return NextFramePredictor()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 5, 2, 8, 10)
