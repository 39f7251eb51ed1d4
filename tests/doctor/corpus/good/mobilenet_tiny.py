"""A tiny MobileNetV2-style CNN: inverted residual blocks with depthwise 3×3 convolutions.

Layout: images NCHW. Input [B=4, C=3, H=26, W=22]; output class logits [B, 6]
(for nn.CrossEntropyLoss). Each block expands with a 1×1 conv, filters each channel with a
depthwise 3×3 conv (groups = channels), and projects back with a linear 1×1 conv; the skip is
used when the stride is 1 and the channel count is unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, expand: int = 4) -> None:
        super().__init__()
        hidden = in_channels * expand
        self.use_skip = stride == 1 and in_channels == out_channels
        self.block = nn.Sequential(
            conv_bn(in_channels, hidden, 1),
            conv_bn(hidden, hidden, 3, stride=stride, groups=hidden),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        return x + out if self.use_skip else out


class TinyMobileNet(nn.Module):
    def __init__(self, num_classes: int = 6) -> None:
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 8, 3, stride=2),
            InvertedResidual(8, 8, 1),
            InvertedResidual(8, 16, 2),
            InvertedResidual(16, 16, 1),
            InvertedResidual(16, 24, 2),
            conv_bn(24, 48, 1),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(48, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        x = x.mean(dim=(2, 3))
        return self.classifier(x)


def build_model() -> nn.Module:
    return TinyMobileNet().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 3, 26, 22)
