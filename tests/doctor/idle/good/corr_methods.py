"""An optical-flow style correlation volume used through its methods, as RAFT's `CorrBlock`: the
module has no `forward`; the model calls `build` once and `lookup` at each refinement step.

Layout: two feature maps [B=1, C=8, H=6, W=6]; output the flow [B, 2, H, W].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CorrBlock(nn.Module):
    def __init__(self, levels: int = 2) -> None:
        super().__init__()
        self.levels = levels
        self.pyramid: list[Tensor] = []

    def build(self, f1: Tensor, f2: Tensor) -> None:
        b, c, h, w = f1.shape
        corr = torch.einsum("bchw,bcuv->bhwuv", f1, f2) / c**0.5
        corr = corr.reshape(b * h * w, 1, h, w)
        self.pyramid = [corr]
        for _ in range(self.levels - 1):
            corr = nn.functional.avg_pool2d(corr, 2, stride=2)
            self.pyramid.append(corr)

    def lookup(self, b: int, h: int, w: int) -> Tensor:
        return torch.cat([c.mean(dim=(2, 3)).view(b, h, w, 1) for c in self.pyramid], -1).permute(0, 3, 1, 2)


class FlowHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.corr_block = CorrBlock()
        self.update = nn.Conv2d(2 + 2, 2, 3, padding=1)

    def forward(self, f1: Tensor, f2: Tensor) -> Tensor:
        b, _, h, w = f1.shape
        self.corr_block.build(f1, f2)
        flow = torch.zeros(b, 2, h, w)
        for _ in range(2):
            flow = flow + self.update(torch.cat([self.corr_block.lookup(b, h, w), flow], 1))
        return flow


def build_model() -> nn.Module:
    return FlowHead().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(1, 8, 6, 6), torch.randn(1, 8, 6, 6)
