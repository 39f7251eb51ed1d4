"""A multi-label audio tagger trained with nn.BCEWithLogitsLoss.

Layout: channels-first spectrogram [B=3, n_mels=13, T=12]; meant to output one logit per tag,
[B, 6] (nn.BCEWithLogitsLoss applies the sigmoid itself). Features are averaged over time
(the last axis of the conv output).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AudioTagger(nn.Module):
    def __init__(self, n_mels: int = 13, channels: int = 32, num_tags: int = 6) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_mels, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel_size=3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(channels, num_tags)

    def forward(self, spectrogram: Tensor) -> Tensor:
        features = self.conv(spectrogram).mean(dim=-1)  # [B, channels]
        return torch.sigmoid(self.head(features))  # doctor: probabilities


def build_model() -> nn.Module:
    return AudioTagger()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 13, 12)
