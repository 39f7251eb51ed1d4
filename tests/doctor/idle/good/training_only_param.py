"""A speech encoder with a learned mask embedding used only when training, as Wav2Vec2's
`masked_spec_embed`: in eval mode nothing reads it.

Layout: features [B=2, T=10, F=12]; output [B, T, 16].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MaskedEncoder(nn.Module):
    def __init__(self, feat: int = 12, dim: int = 16, mask_prob: float = 0.2) -> None:
        super().__init__()
        self.proj = nn.Linear(feat, dim)
        self.mask_prob = mask_prob
        self.masked_spec_embed = nn.Parameter(torch.rand(dim))
        self.encoder = nn.GRU(dim, dim, batch_first=True)

    def _mask(self, h: Tensor) -> Tensor:
        if self.training and self.mask_prob > 0:
            mask = torch.rand(h.shape[:2]) < self.mask_prob
            h = h.masked_fill(mask[..., None], 0.0) + mask[..., None] * self.masked_spec_embed
        return h

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.encoder(self._mask(self.proj(x)))
        return out


def build_model() -> nn.Module:
    return MaskedEncoder().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 10, 12)
