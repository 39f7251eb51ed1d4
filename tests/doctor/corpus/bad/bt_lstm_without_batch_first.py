"""A speech-command classifier: a Conv1d front end, then an LSTM over the frames.

Layout: the input is channels-first [B=3, n_mels=13, T=12]; the conv output [B, 32, T] is
transposed to batch-first [B, T, 32] for the LSTM. Meant to output class logits [B, 5].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CommandClassifier(nn.Module):
    def __init__(self, n_mels: int = 13, channels: int = 32, hidden_size: int = 20, num_classes: int = 5) -> None:
        super().__init__()
        self.conv = nn.Conv1d(n_mels, channels, kernel_size=3, padding=1)
        self.lstm = nn.LSTM(channels, hidden_size)  # doctor: layout
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, spectrogram: Tensor) -> Tensor:
        x = torch.relu(self.conv(spectrogram))  # [B, 32, T]
        x = x.transpose(1, 2)  # [B, T, 32]
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])


def build_model() -> nn.Module:
    return CommandClassifier()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 13, 12)
