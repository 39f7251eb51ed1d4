"""NetVLAD pooling (Arandjelović et al. 2016): soft assignment over the clusters, aggregated over positions.

Layout: x [B=2, C=8, H=3, W=4]; output [B, K·C] (K=5). The softmax runs over the clusters (dim 1) and the
sum over the positions: each cluster's residuals are weighted by how much each position belongs to it.
Softmax and sum on different axes on purpose; the result is normalised afterwards.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class NetVLAD(nn.Module):
    def __init__(self, clusters: int = 5, dim: int = 8) -> None:
        super().__init__()
        self.clusters = clusters
        self.conv = nn.Conv2d(dim, clusters, kernel_size=1)
        self.centroids = nn.Parameter(torch.rand(clusters, dim))

    def forward(self, x: Tensor) -> Tensor:
        n, c = x.shape[:2]
        soft_assign = F.softmax(self.conv(x).view(n, self.clusters, -1), dim=1)  # [B, K, N]
        flat = x.view(n, c, -1)  # [B, C, N]
        residual = flat.unsqueeze(1) - self.centroids[None, :, :, None]  # [B, K, C, N]
        vlad = (residual * soft_assign.unsqueeze(2)).sum(dim=-1)  # [B, K, C]
        vlad = F.normalize(vlad, p=2, dim=2)
        return F.normalize(vlad.view(n, -1), p=2, dim=1)


def build_model() -> nn.Module:
    return NetVLAD().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 8, 3, 4)
