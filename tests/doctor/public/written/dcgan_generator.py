"""A DCGAN generator in the shape of pytorch/examples' dcgan: transposed convs from a noise vector to an image.

Layout: input noise [B=4, nz=32, 1, 1] (channels first, spatially 1×1, as the training loop
draws it); output images [B, nc=3, 64, 64] in [-1, 1] (tanh). ngf = 16.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

nz, ngf, nc = 32, 16, 3


def weights_init(m: nn.Module) -> None:
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),  # → 4×4
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),  # → 8×8
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # → 16×16
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),  # → 32×32
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),  # → 64×64
            nn.Tanh(),
        )

    def forward(self, input: Tensor) -> Tensor:
        return self.main(input)


def build_model() -> nn.Module:
    netG = Generator()
    netG.apply(weights_init)
    return netG.eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, nz, 1, 1)
