"""torchvision `raft_small()`, random init: optical flow with a `CorrBlock` module used only through its methods.

Inputs (keywords) image1, image2 [B=1, C=3, 128, 128] (RAFT's pyramid needs at least 128 pixels)
and num_flow_updates=3 (12 by default); output the list of flow predictions, each [B, 2, 128, 128].
torchvision is imported through `_torchvision_shim` (see its docstring).
"""

from __future__ import annotations

import torch
from _torchvision_shim import import_torchvision
from torch import Tensor, nn

optical_flow = import_torchvision().models.optical_flow


def build_model() -> nn.Module:
    return optical_flow.raft_small().eval()


def example_inputs() -> dict[str, Tensor | int]:
    torch.manual_seed(0)
    return {"image1": torch.rand(1, 3, 128, 128), "image2": torch.rand(1, 3, 128, 128), "num_flow_updates": 3}
