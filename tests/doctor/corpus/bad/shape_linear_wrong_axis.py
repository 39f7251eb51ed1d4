"""A keyword spotter: Conv1d over a spectrogram, a per-frame projection, a batch-first GRU.

Layout: the input is channels-first [B=3, n_mels=13, T=12]; after the conv it is transposed to
[B, T, 24] so that the per-frame projection and nn.GRU(batch_first=True) see one row per frame.
Output class logits [B, 5].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class KeywordSpotter(nn.Module):
    def __init__(
        self, n_mels: int = 13, n_frames: int = 12, proj_size: int = 32, hidden_size: int = 20, num_classes: int = 5
    ) -> None:
        super().__init__()
        self.conv = nn.Conv1d(n_mels, 24, kernel_size=3, padding=1)
        self.frame_proj = nn.Linear(n_frames, proj_size)  # doctor: shape-clash
        self.gru = nn.GRU(proj_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, spectrogram: Tensor) -> Tensor:
        x = torch.relu(self.conv(spectrogram))  # [B, 24, T]
        x = x.transpose(1, 2)  # [B, T, 24]
        x = torch.relu(self.frame_proj(x))
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    return KeywordSpotter()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 13, 12)
