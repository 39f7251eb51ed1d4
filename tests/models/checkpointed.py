"""Residual MLP stack with activation checkpointing that is only active in training with grad.

PATTERN: `CheckpointedMLP.forward` loops over `self.blocks` and, when
`self.training and torch.is_grad_enabled()`, calls
`torch.utils.checkpoint.checkpoint(block, x, use_reentrant=False)`; otherwise it calls
`block(x)` directly. `build_model()` returns the model in TRAIN mode (`model.training is True`)
so that the checkpoint branch is the one taken when grad is enabled; every dropout has p=0.0, so
the output is deterministic and identical in both branches.

TRUTHS a correct diagram must show (input [4, 12], dim 16, 3 blocks):
- `input_proj` (Linear 12 -> 16) runs once, then `blocks.0`, `blocks.1`, `blocks.2` in sequence,
  each exactly ONCE in the forward pass, whichever branch runs (checkpoint or direct call). The
  recomputation done by checkpoint happens only during backward and must NOT show up as extra
  block calls; `checkpoint` itself is a wrapper, not a layer.
- Each block: `norm` (LayerNorm) -> `fc1` (16 -> 32) -> `act` (GELU) -> `fc2` (32 -> 16) ->
  `dropout` (p=0, pass-through in effect) -> add with the block's input `x` (residual). The add
  reads the block's input directly, so an edge runs from the previous block (or input_proj) to
  the add, bypassing norm/fc1/fc2.
- `final_norm` reads blocks.2's output, `head` (16 -> 3) -> output [4, 3].
- The model is in training mode: a tool must not switch it to eval (not needed for this model's
  values, but the mode is part of what the file tests).
"""

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint


class ResidualMLPBlock(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.dropout(self.fc2(self.act(self.fc1(self.norm(x)))))


class CheckpointedMLP(nn.Module):
    def __init__(
        self,
        in_features: int = 12,
        dim: int = 16,
        hidden: int = 32,
        n_blocks: int = 3,
        n_classes: int = 3,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.input_proj = nn.Linear(in_features, dim)
        self.blocks = nn.ModuleList(ResidualMLPBlock(dim, hidden, dropout) for _ in range(n_blocks))
        self.final_norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_proj(x)
        for block in self.blocks:
            if self.training and torch.is_grad_enabled():
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return self.head(self.final_norm(x))


def build_model() -> nn.Module:
    """Returned in TRAIN mode on purpose (dropout is 0.0, so outputs stay deterministic)."""
    torch.manual_seed(0)
    return CheckpointedMLP().train()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(4, 12, generator=g)


if __name__ == "__main__":
    model = build_model()
    x = example_inputs()
    out = model(x)  # checkpoint branch
    out.sum().backward()
    with torch.no_grad():
        direct = model(x)  # direct branch
    print("out", tuple(out.shape), "training", model.training, "branches agree:", torch.allclose(out, direct))
