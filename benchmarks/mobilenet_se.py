"""A MobileNetV3-Small-shaped classifier with squeeze-excite, written without torchvision.

Shaped after Howard et al.'s MobileNetV3-Small (Table 2 of "Searching for MobileNetV3"); module
names follow timm's MobileNetV3 blocks. Stem `conv_stem` 3×3/2 → `bn1` → hardswish; `blocks`, a
list of 11 inverted-residual blocks: optional expansion `conv_pw` 1×1 → `bn1` → act (absent when
the expansion width equals the input width, as in block 0), depthwise `conv_dw` k×k (stride) →
`bn2` → act, optional `se` (adaptive avg pool → `conv_reduce` 1×1 → ReLU → `conv_expand` 1×1 →
hardsigmoid → multiply), projection `conv_pwl` 1×1 → `bn3` (no activation), and a residual add
when stride is 1 and input and output widths match; then `conv_head` 1×1 96→576 → `bn2` →
hardswish, `avgpool`, and `classifier` = Linear 576→1024 → hardswish → dropout 0.2 → Linear →1000.

Configuration (kernel, expansion, output, SE, activation, stride) per block:
    3  16 16 SE RE 2 | 3  72 24 -  RE 2 | 3  88 24 -  RE 1 | 5  96 40 SE HS 2
    5 240 40 SE HS 1 | 5 240 40 SE HS 1 | 5 120 48 SE HS 1 | 5 144 48 SE HS 1
    5 288 96 SE HS 2 | 5 576 96 SE HS 1 | 5 576 96 SE HS 1
SE squeeze width = expansion / 4 rounded to a multiple of 8. Parameters: 2,542,856.
`example_inputs()` gives a [2, 3, 224, 224] image batch.

What the diagram should show: 11 blocks that are NOT identical — kernel 3 vs 5, stride 1 vs 2,
ReLU vs hardswish, SE present in 9 of 11, the expansion conv missing in block 0, and residual
adds only in blocks 2, 4, 5, 7, 9, 10; each SE branch forks off the depthwise output and
rejoins it with a multiply (a gate); spatial size 224 → 112 → 56 → 28 → 14 → 7 → 1.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

# kernel, expanded width, output width, squeeze-excite, activation ("RE" ReLU / "HS" hardswish), stride
BLOCKS: list[tuple[int, int, int, bool, str, int]] = [
    (3, 16, 16, True, "RE", 2),
    (3, 72, 24, False, "RE", 2),
    (3, 88, 24, False, "RE", 1),
    (5, 96, 40, True, "HS", 2),
    (5, 240, 40, True, "HS", 1),
    (5, 240, 40, True, "HS", 1),
    (5, 120, 48, True, "HS", 1),
    (5, 144, 48, True, "HS", 1),
    (5, 288, 96, True, "HS", 2),
    (5, 576, 96, True, "HS", 1),
    (5, 576, 96, True, "HS", 1),
]
STEM = 16
HEAD = 576
HIDDEN = 1024
NUM_CLASSES = 1000


def make_divisible(value: float, divisor: int = 8) -> int:
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def activation(kind: str) -> nn.Module:
    return nn.ReLU(inplace=True) if kind == "RE" else nn.Hardswish(inplace=True)


class SqueezeExcite(nn.Module):
    """Channel gate: x · hardsigmoid(W₂ relu(W₁ mean_hw(x)))."""

    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_reduce = nn.Conv2d(channels, squeeze, 1)
        self.act = nn.ReLU(inplace=True)
        self.conv_expand = nn.Conv2d(squeeze, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x: Tensor) -> Tensor:
        scale = self.gate(self.conv_expand(self.act(self.conv_reduce(self.avg_pool(x)))))
        return x * scale


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, kernel: int, expanded: int, cout: int, use_se: bool, act: str, stride: int) -> None:
        super().__init__()
        self.has_expansion = expanded != cin
        self.has_residual = stride == 1 and cin == cout
        if self.has_expansion:
            self.conv_pw = nn.Conv2d(cin, expanded, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(expanded)
            self.act1 = activation(act)
        self.conv_dw = nn.Conv2d(expanded, expanded, kernel, stride, kernel // 2, groups=expanded, bias=False)
        self.bn2 = nn.BatchNorm2d(expanded)
        self.act2 = activation(act)
        self.se = SqueezeExcite(expanded, make_divisible(expanded // 4)) if use_se else nn.Identity()
        self.conv_pwl = nn.Conv2d(expanded, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)

    def forward(self, x: Tensor) -> Tensor:
        out = x
        if self.has_expansion:
            out = self.act1(self.bn1(self.conv_pw(out)))
        out = self.act2(self.bn2(self.conv_dw(out)))
        out = self.se(out)
        out = self.bn3(self.conv_pwl(out))
        if self.has_residual:
            out = out + x
        return out


class MobileNetV3Small(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES, dropout: float = 0.2) -> None:
        super().__init__()
        self.conv_stem = nn.Conv2d(3, STEM, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(STEM)
        self.act1 = nn.Hardswish(inplace=True)
        blocks: list[nn.Module] = []
        cin = STEM
        for kernel, expanded, cout, use_se, act, stride in BLOCKS:
            blocks.append(InvertedResidual(cin, kernel, expanded, cout, use_se, act, stride))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.conv_head = nn.Conv2d(cin, HEAD, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(HEAD)
        self.act2 = nn.Hardswish(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(HEAD, HIDDEN),
            nn.Hardswish(inplace=True),
            nn.Dropout(dropout, inplace=True),
            nn.Linear(HIDDEN, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.act1(self.bn1(self.conv_stem(x)))
        for block in self.blocks:
            x = block(x)
        x = self.act2(self.bn2(self.conv_head(x)))
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return MobileNetV3Small().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 224, 224)


if __name__ == "__main__":
    from smoke import main

    main(build_model, example_inputs)
