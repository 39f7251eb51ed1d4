"""`python benchmarks/<model file>.py`: build the model, run one forward pass, and print what came out, the
parameter count and the time — a quick look at a benchmark model without archviz."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn


def main(build_model: Callable[[], nn.Module], example_inputs: Callable[[], Any]) -> nn.Module:
    """Run the file's model on its inputs, read as `archviz render` reads them (a tensor: one argument; a
    tuple: positional arguments; a dict: keyword arguments)."""
    model = build_model()
    given = example_inputs()
    args, kwargs = (
        (given, {}) if isinstance(given, tuple) else ((), given) if isinstance(given, dict) else ((given,), {})
    )
    with torch.no_grad():
        start = time.perf_counter()
        out = model(*args, **kwargs)
        elapsed = time.perf_counter() - start
    for name, value in out.items() if isinstance(out, dict) else [("output", out)]:
        print(f"{name}: {tuple(value.shape)} on {value.device}")
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")
    print(f"forward: {elapsed * 1000:.1f} ms")
    return model
