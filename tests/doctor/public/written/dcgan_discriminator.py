"""A DCGAN discriminator in the shape of pytorch/examples' dcgan: strided convs to one probability per image.

Layout: input images [B=4, nc=3, 64, 64]; the last conv gives [B, 1, 1, 1], a sigmoid, then
`.view(-1, 1).squeeze(1)` → [B] probabilities of "real" (the training loop feeds them to
nn.BCELoss, which expects probabilities). ndf = 16.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

nc, ndf = 3, 16


class Discriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),  # → 32×32
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),  # → 16×16
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),  # → 8×8
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),  # → 4×4
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),  # → 1×1
            nn.Sigmoid(),
        )

    def forward(self, input: Tensor) -> Tensor:
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


def build_model() -> nn.Module:
    return Discriminator().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, nc, 64, 64)
