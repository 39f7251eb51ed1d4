"""A policy network for a 2-action control task (REINFORCE), evaluated on a batch of states.

Layout: states [B=5, 4]; output action probabilities [B, 2], each row summing to one over the
two actions (dim 1).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 32),
        nn.LeakyReLU(),
        nn.Linear(32, 2),
        nn.Softmax(dim=0),  # doctor: batch-mix
    ).eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(5, 4)
