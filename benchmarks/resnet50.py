"""A ResNet-50-shaped image classifier with torchvision's attribute names; real random weights on CPU.

Shaped after He et al.'s ResNet-50 (the v1.5 variant torchvision ships: the stride-2 sits on the
3×3 conv of a bottleneck). Stem `conv1` 7×7/2 → `bn1` → `relu` → `maxpool` 3×3/2; stages
`layer1`..`layer4` of [3, 4, 6, 3] Bottleneck blocks with widths 64/128/256/512 and expansion 4
(outputs 256/512/1024/2048); each Bottleneck is `conv1` 1×1 → `bn1` → relu → `conv2` 3×3 (stride)
→ `bn2` → relu → `conv3` 1×1 → `bn3`, plus the shortcut, then relu; the first block of every stage
has `downsample` = 1×1 conv (stride) + BN; `avgpool` then `fc` to 1000 classes.

Configuration: 1000 classes, BatchNorm in eval mode, Kaiming-normal conv init, BN weight 1 and
bias 0. Parameters: 25,557,032. `example_inputs()` gives a [2, 3, 224, 224] image batch.

What the diagram should show: 16 Bottleneck blocks in four stages; in each stage block 0 differs
from the rest (a `downsample` branch on the shortcut, and the stride) while blocks 1.. are
identical with an identity shortcut; a residual add before the last relu of every block; one
`relu` module per block used three times; spatial size 224 → 112 → 56 → 56/28/14/7 → 1.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, layers: tuple[int, ...] = (3, 4, 6, 3), num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        out_channels = planes * Bottleneck.expansion
        downsample = None
        if stride != 1 or self.inplanes != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = out_channels
        layers.extend(Bottleneck(self.inplanes, planes) for _ in range(1, blocks))
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return ResNet().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 224, 224)


if __name__ == "__main__":
    from smoke import main

    main(build_model, example_inputs)
