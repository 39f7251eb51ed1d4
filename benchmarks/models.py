"""The benchmark's workloads: a model and its forward-pass arguments, built fresh on demand.

The three examples are loaded from `examples/` by path (they are scripts, not a package); the
ResNet-style CNN and the Transformer encoder are defined here. Every workload is deterministic
(`torch.manual_seed(0)` before the weights and the inputs are made) and in eval mode unless the
example itself says otherwise, so every tool sees the very same forward pass.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch
from torch import Tensor, nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def load_example(name: str) -> ModuleType:
    """Import `examples/<name>.py` as module `archviz_example_<name>` (once per process)."""
    key = f"archviz_example_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, os.path.join(EXAMPLES, f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


# ---- models defined for the benchmark -------------------------------------------------------


class BasicBlock(nn.Module):
    """ResNet basic block: two 3×3 conv-BN layers and an identity (or 1×1 projection) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=False)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        summed: Tensor = self.relu(out + self.shortcut(x))
        return summed


class SmallResNet(nn.Module):
    """Stem conv + 4 stages of 2 basic blocks (16, 32, 64, 128 channels) + pooled linear head."""

    def __init__(self, num_classes: int = 10, widths: tuple[int, ...] = (16, 32, 64, 128)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        stages: list[nn.Module] = []
        cin = widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(cin, w, stride), BasicBlock(w, w, 1)))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(cin, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.stages(self.stem(x))
        logits: Tensor = self.head(torch.flatten(self.pool(x), 1))
        return logits


def transformer_encoder(layers: int = 12, d_model: int = 256, nhead: int = 8, ff: int = 1024) -> nn.Module:
    """A `layers`-deep nn.TransformerEncoder, batch_first, in eval mode."""
    layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=ff, batch_first=True)
    # enable_nested_tensor only matters for padded batches; off keeps the fast path out of the picture.
    return nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False).eval()


# ---- the workload table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One benchmark case: a name, how to build (model, args), and whether it is in `--quick`."""

    name: str
    description: str
    make: Callable[[], tuple[nn.Module, tuple[Any, ...]]]
    quick: bool = False


def _gru_example() -> tuple[nn.Module, tuple[Any, ...]]:
    ex = load_example("gru")
    torch.manual_seed(0)
    return ex.build_model(), tuple(ex.example_inputs())


def _mogrifier() -> tuple[nn.Module, tuple[Any, ...]]:
    ex = load_example("mogrifier")
    torch.manual_seed(0)
    return ex.build_model(), tuple(ex.example_inputs())


def _bilstm() -> tuple[nn.Module, tuple[Any, ...]]:
    ex = load_example("bilstm_classifier")
    torch.manual_seed(0)
    return ex.build_model(), tuple(ex.example_inputs())


def gru_steps(steps: int) -> Callable[[], tuple[nn.Module, tuple[Any, ...]]]:
    """examples/gru.py's hand-written StackedGRU over input (3, steps, 10)."""

    def make() -> tuple[nn.Module, tuple[Any, ...]]:
        ex = load_example("gru")
        torch.manual_seed(0)
        model = ex.build_model()
        return model, (torch.randn(3, steps, 10),)

    return make


def _transformer() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    model = transformer_encoder()
    return model, (torch.randn(2, 64, 256),)


def _resnet() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return SmallResNet().eval(), (torch.randn(2, 3, 64, 64),)


WORKLOADS: tuple[Workload, ...] = (
    Workload("gru-example", "examples/gru.py build_model, input (3, 5, 10)", _gru_example, quick=True),
    Workload("mogrifier", "examples/mogrifier.py, input (3, 5, 10)", _mogrifier),
    Workload("bilstm", "examples/bilstm_classifier.py, tokens (4, 12) + lengths", _bilstm),
    Workload("gru-T10", "StackedGRU, input (3, 10, 10)", gru_steps(10), quick=True),
    Workload("gru-T200", "StackedGRU, input (3, 200, 10)", gru_steps(200)),
    Workload("gru-T1000", "StackedGRU, input (3, 1000, 10)", gru_steps(1000)),
    Workload("transformer-12", "nn.TransformerEncoder 12×(d256, 8 heads, ff1024), input (2, 64, 256)", _transformer),
    Workload("resnet-small", "SmallResNet (stem + 4×2 basic blocks), input (2, 3, 64, 64)", _resnet, quick=True),
)

BY_NAME = {w.name: w for w in WORKLOADS}
