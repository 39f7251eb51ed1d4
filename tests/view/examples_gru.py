"""Build the example GRU with a chosen sequence length (for tests)."""

from __future__ import annotations

import gru  # examples/ is put on sys.path by conftest
import torch


def build(steps: int) -> tuple[torch.nn.Module, torch.Tensor]:
    """Return the example StackedGRU and an input of `steps` time steps."""
    torch.manual_seed(0)
    return gru.build_model(), torch.randn(3, steps, 10)
