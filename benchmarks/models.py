"""The benchmark's workloads: a model and its forward-pass arguments, built fresh on demand.

The three examples are loaded from `examples/` by path (they are scripts, not a package); the
ResNet-style CNN and the Transformer encoder are defined here; the larger models (LLaMA-7B on the
meta device, BERT-base, T5-small, ResNet-50, a 10,000-module nn.Sequential, a MobileNetV3 with
squeeze-excitation) are archviz model files in `benchmarks/` (`build_model()` and
`example_inputs()`), loaded by path the same way. Every workload is deterministic
(`torch.manual_seed(0)` before the weights and the inputs are made) and in eval mode unless the
example itself says otherwise, so every tool sees the very same forward pass.

`Workload.make()` returns `(model, args)` or `(model, args, kwargs)`; `split()` normalises both.
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
BENCHMARKS = os.path.dirname(os.path.abspath(__file__))

Args = tuple[Any, ...]
Kwargs = dict[str, Any]
Made = tuple[nn.Module, Args] | tuple[nn.Module, Args, Kwargs]


def _load(key: str, path: str) -> ModuleType:
    """Import the file at `path` as module `key` (once per process)."""
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def load_example(name: str) -> ModuleType:
    """Import `examples/<name>.py` as module `archviz_example_<name>` (once per process)."""
    return _load(f"archviz_example_{name}", os.path.join(EXAMPLES, f"{name}.py"))


def load_bench_model(name: str) -> ModuleType:
    """Import the model file `benchmarks/<name>.py` as module `archviz_bench_<name>` (once per process)."""
    return _load(f"archviz_bench_{name}", os.path.join(BENCHMARKS, f"{name}.py"))


def split(made: Made) -> tuple[nn.Module, Args, Kwargs]:
    """`(model, args, kwargs)` from what a `make()` returned, a 2-tuple or a 3-tuple."""
    if len(made) == 2:
        model, args = made  # type: ignore[misc]
        return model, tuple(args), {}
    model, args, kwargs = made  # type: ignore[misc]
    return model, tuple(args), dict(kwargs or {})


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
    """One benchmark case: a name, how to build (model, args[, kwargs]), and whether it is in `--quick`."""

    name: str
    description: str
    make: Callable[[], Made]
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


def model_file(name: str) -> Callable[[], tuple[nn.Module, Args, Kwargs]]:
    """`benchmarks/<name>.py`'s `build_model()` with its `example_inputs()`, read as `archviz render` reads them:
    a tensor is one argument, a tuple or list the positional arguments, a dict the keyword arguments."""

    def make() -> tuple[nn.Module, Args, Kwargs]:
        mod = load_bench_model(name)
        torch.manual_seed(0)
        model = mod.build_model()
        torch.manual_seed(0)
        value = mod.example_inputs()
        if isinstance(value, Tensor):
            return model, (value,), {}
        if isinstance(value, dict):
            return model, (), dict(value)
        return model, tuple(value), {}

    return make


WORKLOADS: tuple[Workload, ...] = (
    Workload("gru-example", "examples/gru.py build_model, input (3, 5, 10)", _gru_example, quick=True),
    Workload("mogrifier", "examples/mogrifier.py, input (3, 5, 10)", _mogrifier),
    Workload("bilstm", "examples/bilstm_classifier.py, tokens (4, 12) + lengths", _bilstm),
    Workload("gru-T10", "StackedGRU, input (3, 10, 10)", gru_steps(10), quick=True),
    Workload("gru-T200", "StackedGRU, input (3, 200, 10)", gru_steps(200)),
    Workload("gru-T1000", "StackedGRU, input (3, 1000, 10)", gru_steps(1000)),
    Workload("transformer-12", "nn.TransformerEncoder 12×(d256, 8 heads, ff1024), input (2, 64, 256)", _transformer),
    Workload("resnet-small", "SmallResNet (stem + 4×2 basic blocks), input (2, 3, 64, 64)", _resnet, quick=True),
    Workload(
        "llama-7b-meta",
        "benchmarks/llama_7b.py: LLaMA-7B-shaped decoder (6.7 B, meta), tokens (1, 16)",
        model_file("llama_7b"),
    ),
    Workload(
        "bert-base",
        "benchmarks/bert_base.py: BERT-base, 12 layers, kwargs input_ids/attention_mask/token_type_ids (2, 32)",
        model_file("bert_base"),
    ),
    Workload(
        "t5-small",
        "benchmarks/t5_small.py: T5-small encoder–decoder, input_ids (2, 16), decoder_input_ids (2, 8)",
        model_file("t5_small"),
    ),
    Workload("resnet50", "benchmarks/resnet50.py: ResNet-50, input (2, 3, 224, 224)", model_file("resnet50")),
    Workload(
        "sequential-10k",
        "benchmarks/sequential_10k.py: nn.Sequential of 5,000 × (Linear 64→64, ReLU), input (4, 64)",
        model_file("sequential_10k"),
    ),
    Workload(
        "mobilenet-se",
        "benchmarks/mobilenet_se.py: MobileNetV3-Small (squeeze-excitation blocks), input (2, 3, 224, 224)",
        model_file("mobilenet_se"),
    ),
)

BY_NAME = {w.name: w for w in WORKLOADS}
