"""Correct ways to read the final states of bidirectional and stacked RNNs, side by side.

Layout: batch-first x [B=3, T=6, F=4]; output [B, 58]. Rows -2 and -1 of h_n are the last layer's forward
and reverse states; a slice of them, a view by layer and direction, a one-direction stack's h_n[-1], and
an attention query taken from h_n[-1] while the whole output sequence is read are all fine.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Readers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bi = nn.LSTM(4, 5, num_layers=2, batch_first=True, bidirectional=True)
        self.bi2 = nn.GRU(4, 5, batch_first=True, bidirectional=True)
        self.bi3 = nn.GRU(4, 5, num_layers=2, batch_first=True, bidirectional=True)
        self.uni = nn.GRU(4, 6, num_layers=3, batch_first=True)
        self.query = nn.Linear(5, 10)

    def forward(self, x: Tensor) -> Tensor:
        _, (h_n, c_n) = self.bi(x)
        pair = torch.cat([h_n[-2], h_n[-1]], dim=1)  # [B, 10]
        top = h_n[-2:].transpose(0, 1).reshape(x.size(0), -1)  # [B, 10]
        cells = c_n.view(2, 2, x.size(0), 5)[-1].sum(0)  # [B, 5]
        _, h2 = self.bi2(x)
        by_layer = h2.view(1, 2, x.size(0), 5)[-1]  # [2, B, 5]
        both = torch.cat([by_layer[0], by_layer[1]], dim=1)  # [B, 10]
        out3, h3 = self.bi3(x)
        q = self.query(h3[-1])  # [B, 10]
        attn = torch.softmax(torch.bmm(out3, q.unsqueeze(2)).squeeze(2), dim=1)  # over time
        context = torch.bmm(attn.unsqueeze(1), out3).squeeze(1)  # [B, 10]
        _, hu = self.uni(x)
        last = hu[-1]  # [B, 6]
        return torch.cat([pair, top, cells, both, context, last, q, torch.cat([h_n[-2], h_n[-1]], 1)[:, :5]], 1)


def build_model() -> nn.Module:
    return Readers().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 6, 4)
