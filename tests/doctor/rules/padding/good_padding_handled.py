"""Reductions over padded batches that handle the padding: a masked mean, a sum divided by the lengths, a
max after padding with -inf, a max of non-negative values padded with zeros, and a mean over a batch
whose sequences all have the same length.

Layout: batch-first x [B=3, T=7, F=4], lengths (7, 4, 2), and y [B, 5, F] of full length; output [B, 30].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Pools(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(4, 6, batch_first=True)

    def forward(self, x: Tensor, lengths: Tensor, y: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        mask = (torch.arange(out.size(1))[None, :] < lengths[:, None]).unsqueeze(-1).float()
        masked_mean = (out * mask).sum(dim=1) / mask.sum(dim=1)
        mean = out.sum(dim=1) / lengths.unsqueeze(1)
        neg, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, padding_value=float("-inf"))
        peak = neg.max(dim=1).values
        positive = torch.relu(out).max(dim=1).values
        full = pack_padded_sequence(y, torch.tensor([5, 5, 5]), batch_first=True)
        same, _ = pad_packed_sequence(self.rnn(full)[0], batch_first=True)
        return torch.cat([masked_mean, mean, peak, positive, same.mean(dim=1)], dim=1)


def build_model() -> nn.Module:
    return Pools().eval()


def example_inputs() -> tuple[Tensor, Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(3, 7, 4), torch.tensor([7, 4, 2]), torch.randn(3, 5, 4)
