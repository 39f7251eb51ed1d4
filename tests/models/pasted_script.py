"""A model pasted the way answers on the web are written: module-level script, no conventions.

PATTERN: NO `build_model()`, NO `example_inputs()`, NO `if __name__ == "__main__":` guard. At module
level the file seeds torch, builds `model = nn.Sequential(...)` (a small MNIST-style CNN), makes
`x = torch.randn(4, 1, 12, 12)`, calls `out = model(x)` and prints `out.shape` -- all at import
time. (The model is left in its default TRAIN mode, as such snippets do; it has no dropout or
batch norm, so that does not change the values.)

TRUTHS a correct diagram must show (input [4, 1, 12, 12]):
- The model is the module-level `model`, an nn.Sequential; the input is the module-level `x`
  [4, 1, 12, 12] (the only forward call made by the script), output `out` [4, 10].
- Children in order: `0` Conv2d(1 -> 8, k3, pad 1) -> `1` ReLU -> `2` MaxPool2d(2) [4, 8, 6, 6] ->
  `3` Conv2d(8 -> 16, k3, pad 1) -> `4` ReLU -> `5` MaxPool2d(2) [4, 16, 3, 3] -> `6` Flatten
  [4, 144] -> `7` Linear(144 -> 32) -> `8` ReLU -> `9` Linear(32 -> 10). A plain chain, each child
  called once.
- Running the file prints exactly one line: `torch.Size([4, 10])`.
"""

import torch
import torch.nn as nn

torch.manual_seed(0)

model = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 16, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 3 * 3, 32),
    nn.ReLU(),
    nn.Linear(32, 10),
)

x = torch.randn(4, 1, 12, 12)
out = model(x)
print(out.shape)
