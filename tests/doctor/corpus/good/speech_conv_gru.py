"""A small speech recogniser: a Conv1d front end over a spectrogram, then a batch-first GRU.

Layout: the input is channels-first [B=3, n_mels=13, T=12] (Conv1d's N, C, L); after the
convolutions it is transposed to batch-first [B, T'=6, 32] for nn.GRU(batch_first=True).
Output per-frame logits [B, T', 9] over 8 characters and the CTC blank (apply log_softmax
over the last axis before nn.CTCLoss).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvGRUSpeech(nn.Module):
    def __init__(self, n_mels: int = 13, hidden_size: int = 20, num_symbols: int = 9) -> None:
        super().__init__()
        self.frontend = nn.Sequential(
            nn.Conv1d(n_mels, 24, kernel_size=3, padding=1),
            nn.BatchNorm1d(24),
            nn.ReLU(),
            nn.Conv1d(24, 32, kernel_size=3, stride=2, padding=1),
            nn.BatchNorm1d(32),
            nn.ReLU(),
        )
        self.gru = nn.GRU(32, hidden_size, batch_first=True)
        self.classifier = nn.Linear(hidden_size, num_symbols)

    def forward(self, spectrogram: Tensor) -> Tensor:
        x = self.frontend(spectrogram)  # [B, 32, T']
        x = x.transpose(1, 2)  # [B, T', 32]
        out, _ = self.gru(x)
        return self.classifier(out)


def build_model() -> nn.Module:
    return ConvGRUSpeech().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 13, 12)
