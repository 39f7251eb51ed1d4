"""Layers for sibling_a/model.py: `Block` is a Linear + ReLU block (hidden size 16).

This file and sibling_b/layers.py have the SAME module name `layers` and both export `Block`, but
define different classes; see sibling_a/model.py for the truths.
"""

import torch
import torch.nn as nn


class Block(nn.Module):
    """Fully connected block: Linear(in_features -> hidden) followed by ReLU."""

    def __init__(self, in_features: int, hidden: int = 16):
        super().__init__()
        self.linear = nn.Linear(in_features, hidden)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.linear(x))
