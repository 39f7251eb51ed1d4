"""InferSent-style max pooling over a packed BiLSTM: the padded zeros are overwritten with -1e9 in place
before the max, so no padding can win.

Layout: sequence-first x [T=6, B=3, F=4], lengths (6, 4, 2); output [B, 2·H] (H=5).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class InferSentMax(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 5, bidirectional=True)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out = pad_packed_sequence(self.lstm(packed)[0])[0]  # [T, B, 2H]
        out[out == 0] = -1e9
        return torch.max(out, 0)[0]


def build_model() -> nn.Module:
    return InferSentMax().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(6, 3, 4), torch.tensor([6, 4, 2])
