"""A RAFT-like optical-flow model: all-pairs correlation pyramid, iterative ConvGRU updates of the flow.

Layout: two RGB images [B=1, 3, 32, 32] with values in [0, 255]. Features and context are at
1/4 resolution ([B, 32, 8, 8]). `CorrBlock` is an nn.Module with no forward and no parameters:
the model calls its methods `build_pyramid` (correlation volume [B·H·W, 1, H, W], then
avg-pooled levels) and `index_pyramid` (a (2r+1)² window around each flow target, sampled with
grid_sample), the way RAFT implementations use it. Three update iterations; the output is the
list of flow predictions upsampled ×4, each [B, 2, 32, 32].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def coords_grid(batch: int, h: int, w: int) -> Tensor:
    """Pixel coordinates [B, 2, H, W], x first."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([xs, ys]).float()[None].repeat(batch, 1, 1, 1)


class Encoder(nn.Module):
    """Stride-4 convolutional features with instance normalisation."""

    def __init__(self, out_dim: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=7, stride=2, padding=3)
        self.norm1 = nn.InstanceNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1)
        self.norm2 = nn.InstanceNorm2d(32)
        self.out = nn.Conv2d(32, out_dim, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.norm1(self.conv1(x)))
        x = F.relu(self.norm2(self.conv2(x)))
        return self.out(x)


class CorrBlock(nn.Module):
    """Correlation pyramid and its lookup; used through its methods, never called."""

    def __init__(self, num_levels: int = 2, radius: int = 2) -> None:
        super().__init__()
        self.num_levels = num_levels
        self.radius = radius
        self.out_channels = num_levels * (2 * radius + 1) ** 2
        self.corr_pyramid: list[Tensor] = []

    def build_pyramid(self, fmap1: Tensor, fmap2: Tensor) -> None:
        b, c, h, w = fmap1.shape
        corr = fmap1.view(b, c, h * w).transpose(1, 2) @ fmap2.view(b, c, h * w)
        corr = (corr / c**0.5).reshape(b * h * w, 1, h, w)
        self.corr_pyramid = [corr]
        for _ in range(self.num_levels - 1):
            corr = F.avg_pool2d(corr, kernel_size=2, stride=2)
            self.corr_pyramid.append(corr)

    def index_pyramid(self, centroids: Tensor) -> Tensor:
        b, _, h, w = centroids.shape
        r = self.radius
        d = torch.linspace(-r, r, 2 * r + 1)
        dy, dx = torch.meshgrid(d, d, indexing="ij")
        delta = torch.stack([dx, dy], dim=-1).view(1, 2 * r + 1, 2 * r + 1, 2)
        centroids = centroids.permute(0, 2, 3, 1).reshape(b * h * w, 1, 1, 2)
        sampled = []
        for level, corr in enumerate(self.corr_pyramid):
            coords = centroids / 2**level + delta
            lh, lw = corr.shape[-2:]
            grid = torch.cat([2 * coords[..., :1] / (lw - 1) - 1, 2 * coords[..., 1:] / (lh - 1) - 1], dim=-1)
            window = F.grid_sample(corr, grid, align_corners=True)  # [B·H·W, 1, 2r+1, 2r+1]
            sampled.append(window.view(b, h, w, -1))
        return torch.cat(sampled, dim=-1).permute(0, 3, 1, 2).contiguous()


class MotionEncoder(nn.Module):
    def __init__(self, corr_channels: int) -> None:
        super().__init__()
        self.convc = nn.Conv2d(corr_channels, 32, kernel_size=1)
        self.convf = nn.Conv2d(2, 16, kernel_size=7, padding=3)
        self.conv = nn.Conv2d(48, 30, kernel_size=3, padding=1)

    def forward(self, flow: Tensor, corr: Tensor) -> Tensor:
        c = F.relu(self.convc(corr))
        f = F.relu(self.convf(flow))
        out = F.relu(self.conv(torch.cat([c, f], dim=1)))
        return torch.cat([out, flow], dim=1)  # 32 channels


class ConvGRU(nn.Module):
    def __init__(self, hidden: int, inputs: int) -> None:
        super().__init__()
        self.convz = nn.Conv2d(hidden + inputs, hidden, kernel_size=3, padding=1)
        self.convr = nn.Conv2d(hidden + inputs, hidden, kernel_size=3, padding=1)
        self.convq = nn.Conv2d(hidden + inputs, hidden, kernel_size=3, padding=1)

    def forward(self, h: Tensor, x: Tensor) -> Tensor:
        hx = torch.cat([h, x], dim=1)
        z = torch.sigmoid(self.convz(hx))
        r = torch.sigmoid(self.convr(hx))
        q = torch.tanh(self.convq(torch.cat([r * h, x], dim=1)))
        return (1 - z) * h + z * q


class RAFTLike(nn.Module):
    def __init__(self, iters: int = 3) -> None:
        super().__init__()
        self.iters = iters
        self.fnet = Encoder(32)
        self.cnet = Encoder(64)  # split into the GRU's initial state and its context input
        self.corr_block = CorrBlock(num_levels=2, radius=2)
        self.motion = MotionEncoder(self.corr_block.out_channels)
        self.gru = ConvGRU(hidden=32, inputs=64)
        self.flow_head = nn.Sequential(
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.Conv2d(64, 2, kernel_size=3, padding=1)
        )

    def forward(self, image1: Tensor, image2: Tensor) -> list[Tensor]:
        image1 = 2 * (image1 / 255.0) - 1
        image2 = 2 * (image2 / 255.0) - 1
        fmap1, fmap2 = self.fnet(image1), self.fnet(image2)
        self.corr_block.build_pyramid(fmap1, fmap2)
        net, inp = torch.split(self.cnet(image1), [32, 32], dim=1)
        net, inp = torch.tanh(net), F.relu(inp)

        b, _, h, w = fmap1.shape
        coords0 = coords_grid(b, h, w)
        coords1 = coords_grid(b, h, w)
        predictions = []
        for _ in range(self.iters):
            coords1 = coords1.detach()
            corr = self.corr_block.index_pyramid(coords1)
            flow = coords1 - coords0
            net = self.gru(net, torch.cat([inp, self.motion(flow, corr)], dim=1))
            coords1 = coords1 + self.flow_head(net)
            flow_up = 4 * F.interpolate(coords1 - coords0, scale_factor=4, mode="bilinear", align_corners=True)
            predictions.append(flow_up)
        return predictions


def build_model() -> nn.Module:
    return RAFTLike().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.rand(1, 3, 32, 32) * 255, torch.rand(1, 3, 32, 32) * 255
