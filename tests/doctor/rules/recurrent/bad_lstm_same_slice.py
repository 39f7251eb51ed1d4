"""A fused-weight LSTM cell that slices the same quarter of the pre-activations for two gates.

Layout: batch-first x [B=4, T=5, F=3]; output [B, H=6]. `pre[:, :H]` is taken for the input gate and,
copy-pasted, for the forget gate too (it should be `pre[:, H:2H]`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FusedCell(nn.Module):
    def __init__(self, input_size: int = 3, hidden_size: int = 6) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.w = nn.Linear(input_size + hidden_size, 4 * hidden_size)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        H = self.hidden_size
        pre = self.w(torch.cat([x, h], dim=-1))
        i = torch.sigmoid(pre[:, :H])
        f = torch.sigmoid(pre[:, :H])  # expect: shared-gate
        g = torch.tanh(pre[:, 2 * H : 3 * H])
        o = torch.sigmoid(pre[:, 3 * H :])
        c = f * c + i * g
        return o * torch.tanh(c), c


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = FusedCell()

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), 6)
        c = x.new_zeros(x.size(0), 6)
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], h, c)
        return h


def build_model() -> nn.Module:
    return Model().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 5, 3)
