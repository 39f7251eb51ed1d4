"""A two-layer bidirectional encoder whose h_n is handed whole to a decoder (after merging directions).

Layout: batch-first src [B=2, S=5, F=4], tgt [B, T=3, F]; output [B, T, 7]. h_n [4, B, H] is viewed as
[layers, directions, B, H] and the directions summed: every row is used.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Seq2Seq(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.GRU(4, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.decoder = nn.GRU(4, 8, num_layers=2, batch_first=True)
        self.out = nn.Linear(8, 7)

    def forward(self, src: Tensor, tgt: Tensor) -> Tensor:
        _, h_n = self.encoder(src)
        h0 = h_n.view(2, 2, src.size(0), 8).sum(dim=1)
        out, _ = self.decoder(tgt, h0)
        return self.out(out)


def build_model() -> nn.Module:
    return Seq2Seq().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(2, 5, 4), torch.randn(2, 3, 4)
