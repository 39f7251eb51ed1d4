"""A flat `nn.Sequential` of 10,000 modules: 5,000 × (`nn.Linear(64, 64)`, `nn.ReLU()`).

Not shaped after any published model: a stress test for module count and depth of a single
container. Children are named `0` .. `9999`; even indices are Linear(64, 64) with bias, odd
indices ReLU. Parameters: 5,000 × (64 × 64 + 64) = 20,800,000. `example_inputs()` gives a
[4, 64] batch; every activation is [4, 64].

What the diagram should show: one container whose 10,000 children are the same two-module
pattern repeated 5,000 times: a linear chain with no branches, which a rolled view should fold
into a single Linear → ReLU pair with a repeat count of 5,000.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

PAIRS = 5000
WIDTH = 64


def build_model() -> nn.Module:
    torch.manual_seed(0)
    modules: list[nn.Module] = []
    for _ in range(PAIRS):
        modules.append(nn.Linear(WIDTH, WIDTH))
        modules.append(nn.ReLU())
    return nn.Sequential(*modules).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, WIDTH)


if __name__ == "__main__":
    from smoke import main

    print(f"modules in the Sequential: {len(main(build_model, example_inputs)):,}")
