"""Calls that hand back their input object unchanged, mixed with real layers.

PATTERN: eval-mode `nn.Dropout`, `nn.Identity`, `.contiguous()` on an already contiguous tensor,
a no-op `.to(x.dtype)`, `x.requires_grad_(False)` and `F.dropout(x, training=False)`: each returns
the very same tensor object it was given (`out is x`). Includes exactly
`h = self.fc1(x); a = self.fc2(self.drop(h)); b = h * 2; return a, b` (in `TwoHeads`) and a
transformer-style residual `residual = x; x = self.dropout(self.ffn(x)); x = x + residual`
(in `ResidualFFN`).

TRUTHS a correct diagram must show (input [2, 6, 16]):
- A pass-through call stays in the chain for the readers that got the value FROM it, and is never
  the producer for readers that kept the object under an earlier name.
- `InputCleanup`: `x = x.contiguous()`, `x = x.to(x.dtype)`, `x = x.requires_grad_(False)` and
  `return self.identity(x)` hand the input on, so the block reads the cleanup's result (through
  `cleanup.identity`), and nothing is read from before it.
- `ResidualFFN`: `ffn` = fc_in -> GELU -> fc_out; `x = self.dropout(self.ffn(x))`, so the add
  `x + residual` reads `dropout` (left) and `residual`, the block's input (right), which was bound
  before the dropout. Then `norm` (LayerNorm) reads the add.
- `F.dropout(x, training=False)` in the top forward rebinds `x`; `heads.fc1` reads from it.
- `TwoHeads`: `a = self.fc2(self.drop(h))` reads `drop`, which reads fc1; `b = h * 2` reads fc1's
  output directly (NOT dropout's, NOT fc2's). Outputs: `a` [2, 6, 8] from fc2 and `b` [2, 6, 16]
  from the multiply.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class InputCleanup(nn.Module):
    """Defensive input normalisation that, for a well-formed input, does nothing at all."""

    def __init__(self):
        super().__init__()
        self.identity = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        x = x.to(x.dtype)
        x = x.requires_grad_(False)
        return self.identity(x)


class FeedForward(nn.Module):
    def __init__(self, d_model: int, d_hidden: int):
        super().__init__()
        self.fc_in = nn.Linear(d_model, d_hidden)
        self.act = nn.GELU()
        self.fc_out = nn.Linear(d_hidden, d_model)

    def forward(self, x):
        return self.fc_out(self.act(self.fc_in(x)))


class ResidualFFN(nn.Module):
    def __init__(self, d_model: int, d_hidden: int, p: float = 0.1):
        super().__init__()
        self.ffn = FeedForward(d_model, d_hidden)
        self.dropout = nn.Dropout(p)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x):
        residual = x
        x = self.dropout(self.ffn(x))
        x = x + residual
        return self.norm(x)


class TwoHeads(nn.Module):
    def __init__(self, d_model: int, d_out: int, p: float = 0.2):
        super().__init__()
        self.fc1 = nn.Linear(d_model, d_model)
        self.drop = nn.Dropout(p)
        self.fc2 = nn.Linear(d_model, d_out)

    def forward(self, x):
        h = self.fc1(x)
        a = self.fc2(self.drop(h))
        b = h * 2
        return a, b


class PassthroughModel(nn.Module):
    def __init__(self, d_model: int = 16, d_hidden: int = 32, d_out: int = 8):
        super().__init__()
        self.cleanup = InputCleanup()
        self.block = ResidualFFN(d_model, d_hidden)
        self.heads = TwoHeads(d_model, d_out)

    def forward(self, x: torch.Tensor):
        x = self.cleanup(x)
        x = self.block(x)
        x = F.dropout(x, p=0.1, training=False)
        return self.heads(x)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return PassthroughModel().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 6, 16, generator=g)


if __name__ == "__main__":
    model = build_model()
    x = example_inputs()
    assert model.cleanup(x) is x and F.dropout(x, training=False) is x and model.heads.drop(x) is x
    with torch.no_grad():
        a, b = model(x)
    print("a", tuple(a.shape), "b", tuple(b.shape))
