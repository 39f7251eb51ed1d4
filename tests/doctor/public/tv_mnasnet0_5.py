"""torchvision `mnasnet0_5()`, random init: MNASNet 0.5: inverted residual stacks found by architecture search.

Input images [B=2, C=3, 64, 64]; output logits [B, 1000]. torchvision is imported through
`_torchvision_shim` (see its docstring): an ImportError says how to make it importable.
"""

from __future__ import annotations

import torch
from _torchvision_shim import import_torchvision
from torch import Tensor, nn

models = import_torchvision().models


def build_model() -> nn.Module:
    return models.mnasnet0_5().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 3, 64, 64)
