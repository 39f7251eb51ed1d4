"""An MLP built from the `Block` of the sibling module `layers.py` in THIS folder (sibling_a).

PATTERN: `from layers import Block` -- a bare import of a sibling file named `layers`. The folder
sibling_b has its own `layers.py` exporting a different `Block`. Loading this file must use
sibling_a/layers.py, even if sibling_b/model.py was loaded earlier in the same process (a stale
`sys.modules["layers"]` would silently give the wrong class).

TRUTHS a correct diagram must show (input [3, 8]):
- Modules: `block1` and `block2` are instances of class `Block` (sibling_a/layers.py), each made of
  `linear` (nn.Linear) then `act` (nn.ReLU); block1.linear is Linear(8 -> 16), block2.linear is
  Linear(16 -> 16); then `head` Linear(16 -> 4).
- Flow: input [3, 8] -> block1 [3, 16] -> block2 [3, 16] -> head -> output [3, 4].
- There is NO Conv1d and no `TemporalConvBlock` anywhere in this model (those belong to sibling_b).
"""

import torch
import torch.nn as nn
from layers import Block


class SiblingMLP(nn.Module):
    def __init__(self, in_features: int = 8, hidden: int = 16, n_out: int = 4):
        super().__init__()
        self.block1 = Block(in_features, hidden)
        self.block2 = Block(hidden, hidden)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block2(self.block1(x)))


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return SiblingMLP().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(3, 8, generator=g)


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        out = model(example_inputs())
    print("out", tuple(out.shape), "block class", type(model.block1).__name__)
