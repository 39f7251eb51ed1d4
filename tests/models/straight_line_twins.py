"""Straight-line code that repeats one op pattern on different lines, next to a real loop.

PATTERN: `StraightChain.forward` applies the same shape of computation three times on three
DIFFERENT source lines, each with its own parameters:
    y = (x + self.b1) * self.c1
    z = (y + self.b2) * self.c2
    w = (z + self.b3) * self.c3
These are NOT a loop. For contrast, `LoopedChain.forward` runs the same pattern in a real `for`
loop: ONE source line `h = (h + bias) * scale`, executed 3 times with parameters
`biases[k]` / `scales[k]` taken from ParameterLists.

TRUTHS a correct diagram must show (input [3, 8], hidden 12):
- `stem` (Linear 8 -> 12) runs once and feeds `straight`.
- `straight` holds three distinct stages, in order y -> z -> w, each an add then a multiply, reading
  respectively (b1, c1), (b2, c2), (b3, c3). It must NOT be folded/labelled as a loop or as
  "x3 repetitions" of one step: there are three source lines and no loop in the code.
- `looped` holds one real loop with 3 iterations of the single line `h = (h + bias) * scale`;
  iteration k reads `biases.k` and `scales.k`, and the output of iteration k is the input of k+1.
  It is fine (desirable) to show it as a loop x3.
- Data flow: input -> stem -> straight (w) -> looped (h after iteration 3) -> `head` (Linear 12 -> 4)
  -> output [3, 4]. Each of the 6 parameters of `straight` is used exactly once.
"""

import torch
import torch.nn as nn


class StraightChain(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.b1 = nn.Parameter(torch.randn(dim) * 0.1)
        self.c1 = nn.Parameter(1.0 + torch.randn(dim) * 0.1)
        self.b2 = nn.Parameter(torch.randn(dim) * 0.1)
        self.c2 = nn.Parameter(1.0 + torch.randn(dim) * 0.1)
        self.b3 = nn.Parameter(torch.randn(dim) * 0.1)
        self.c3 = nn.Parameter(1.0 + torch.randn(dim) * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = (x + self.b1) * self.c1
        z = (y + self.b2) * self.c2
        w = (z + self.b3) * self.c3
        return w


class LoopedChain(nn.Module):
    def __init__(self, dim: int, n_steps: int = 3):
        super().__init__()
        self.biases = nn.ParameterList(nn.Parameter(torch.randn(dim) * 0.1) for _ in range(n_steps))
        self.scales = nn.ParameterList(nn.Parameter(1.0 + torch.randn(dim) * 0.1) for _ in range(n_steps))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for bias, scale in zip(self.biases, self.scales, strict=True):
            h = (h + bias) * scale
        return h


class TwinsModel(nn.Module):
    def __init__(self, in_dim: int = 8, hidden: int = 12, out_dim: int = 4):
        super().__init__()
        self.stem = nn.Linear(in_dim, hidden)
        self.straight = StraightChain(hidden)
        self.looped = LoopedChain(hidden)
        self.head = nn.Linear(hidden, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.looped(self.straight(self.stem(x))))


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return TwinsModel().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(3, 8, generator=g)


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        out = model(example_inputs())
    print("out", tuple(out.shape))
