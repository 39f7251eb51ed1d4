"""A selective-kernel (SK) convolution block with a small classifier head.

Layout: images NCHW x [B=3, C=8, H=10, W=12]; output class logits [B, 5]. Two branches (3×3 and
dilated 3×3 convolutions) are mixed per channel: the branch logits are stacked to [K=2, B, C] and
the softmax runs over the branches (dim 0), so each channel's two weights sum to one.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SKBlock(nn.Module):
    def __init__(self, channels: int = 8, reduced: int = 4, num_classes: int = 5) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Conv2d(channels, channels, kernel_size=3, padding=d, dilation=d) for d in (1, 2)
        )
        self.squeeze = nn.Linear(channels, reduced)
        self.excite = nn.ModuleList(nn.Linear(reduced, channels) for _ in range(2))
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        feats = [torch.relu(conv(x)) for conv in self.branches]  # K × [B, C, H, W]
        z = torch.relu(self.squeeze(sum(feats).mean(dim=(2, 3))))  # [B, reduced]
        logits = torch.stack([fc(z) for fc in self.excite])  # [K, B, C]
        weights = torch.softmax(logits, dim=0)
        mixed = sum(w[:, :, None, None] * f for w, f in zip(weights, feats, strict=True))
        return self.fc(mixed.mean(dim=(2, 3)))


def build_model() -> nn.Module:
    return SKBlock().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(3, 8, 10, 12)
