"""Ordinary layers around TorchScript submodules (one scripted, one traced), plus an all-scripted build.

PATTERN: `HybridEncoder.__init__` stores `torch.jit.script(GatedResidual(...))` as
`self.scripted_block` and `torch.jit.trace(TemporalMixer(...).eval(), example)` as
`self.traced_block` (traced at build time on an input of the shape it will receive). The parent's
forward calls them between ordinary layers. `build_all_scripted()` returns the whole
`HybridEncoder` passed through `torch.jit.script` (a RecursiveScriptModule at the top).
Note: torch.jit is deprecated in recent torch and prints DeprecationWarnings; it still works.

TRUTHS a correct diagram must show (input [2, 6, 10], dim 16):
- `build_model()`: data flows input -> `input_proj` (Linear 10 -> 16) -> `scripted_block` ->
  `traced_block` -> `norm` (LayerNorm) -> `head` (Linear 16 -> 4) -> output [2, 6, 4], each module
  called once, in that order. The two TorchScript submodules must appear (at least as one box each,
  named `scripted_block` / `traced_block`); their internals run in the TorchScript interpreter and
  may be opaque, but the chain must not be cut or bypassed: `norm` reads traced_block's output,
  which reads scripted_block's output, which reads input_proj's output.
- Inside them (if shown): `scripted_block`: `gate` (sigmoid) and `transform` (tanh) both read its
  input, and the result is `x + gate * transform`; `traced_block`: transpose -> depthwise
  `mixer` Conv1d (kernel 3, padding 1) -> transpose -> `pointwise` Linear -> residual add.
- `build_all_scripted()`: the model itself is a ScriptModule; a diagram may show it as a single
  opaque box from the input to the [2, 6, 4] output (same numbers as build_model, same weights),
  but must not invent a different structure.
"""

import torch
import torch.nn as nn


class GatedResidual(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.gate = nn.Linear(dim, dim)
        self.transform = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.gate(x))
        return x + gate * torch.tanh(self.transform(x))


class TemporalMixer(nn.Module):
    def __init__(self, dim: int, kernel_size: int = 3):
        super().__init__()
        self.mixer = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.pointwise = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = self.mixer(x.transpose(1, 2)).transpose(1, 2)
        return x + self.pointwise(mixed)


class HybridEncoder(nn.Module):
    def __init__(self, in_features: int = 10, dim: int = 16, n_out: int = 4, seq_len: int = 6):
        super().__init__()
        self.input_proj = nn.Linear(in_features, dim)
        self.scripted_block = torch.jit.script(GatedResidual(dim))
        example = torch.randn(2, seq_len, dim, generator=torch.Generator().manual_seed(1))
        self.traced_block = torch.jit.trace(TemporalMixer(dim).eval(), example)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_proj(x)
        x = self.scripted_block(x)
        x = self.traced_block(x)
        return self.head(self.norm(x))


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return HybridEncoder().eval()


def build_all_scripted() -> nn.Module:
    torch.manual_seed(0)
    return torch.jit.script(HybridEncoder().eval())


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 6, 10, generator=g)


if __name__ == "__main__":
    with torch.no_grad():
        out = build_model()(example_inputs())
        out_scripted = build_all_scripted()(example_inputs())
    print(
        "hybrid",
        tuple(out.shape),
        "all scripted",
        tuple(out_scripted.shape),
        "same:",
        torch.allclose(out, out_scripted),
    )
