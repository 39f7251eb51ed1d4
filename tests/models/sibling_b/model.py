"""A 1-D conv classifier built from the `Block` of the sibling module `layers.py` in THIS folder.

PATTERN: `from layers import Block` -- a bare import of a sibling file named `layers`; here `Block`
is an alias for the class `TemporalConvBlock` (sibling_b/layers.py). The folder sibling_a has its
own `layers.py` with a different `Block` (Linear + ReLU). Loading this file must use
sibling_b/layers.py, even if sibling_a/model.py was loaded earlier in the same process.

TRUTHS a correct diagram must show (input [2, 4, 7] = batch, channels, time):
- Modules: `block1` and `block2` are of class `TemporalConvBlock` (the name shown should be the
  class name, not `Block`); each has `conv` (Conv1d k3, pad 1) -> `norm` (BatchNorm1d, eval) ->
  `act` (ReLU), plus a `residual` Conv1d k1 reading the block input; the block output is the sum.
  block1: 4 -> 12 channels, block2: 12 -> 12 channels. Then mean over time, then `classifier`
  Linear(12 -> 5).
- Flow: input [2, 4, 7] -> block1 [2, 12, 7] -> block2 [2, 12, 7] -> `.mean(dim=2)` [2, 12] ->
  classifier -> output [2, 5].
- There is NO `Block` made of Linear + ReLU in this model (that belongs to sibling_a).
"""

import torch
import torch.nn as nn
from layers import Block


class SiblingConvNet(nn.Module):
    def __init__(self, in_channels: int = 4, channels: int = 12, n_classes: int = 5):
        super().__init__()
        self.block1 = Block(in_channels, channels)
        self.block2 = Block(channels, channels)
        self.classifier = nn.Linear(channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.block2(self.block1(x))
        return self.classifier(features.mean(dim=2))


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return SiblingConvNet().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 4, 7, generator=g)


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        out = model(example_inputs())
    print("out", tuple(out.shape), "block class", type(model.block1).__name__)
