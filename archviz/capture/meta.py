"""Running a model on the meta device: shapes only, no arithmetic (the doctor's experiments).

The doctor traces the model again with one input axis grown at a time, and learns only sizes from
those runs. On the meta device every op computes its output's shape and nothing else, so a run of a
large CNN costs its bookkeeping alone. `on_meta` swaps the model's parameters and buffers for meta
tensors of the same shape, dtype and flags (tied weights stay tied), hands over meta copies of the
inputs, and makes meta the default device for tensors the forward pass creates; everything is put
back when it closes, whatever happened inside.

A meta run can stand for a real one only where shapes do not depend on values. What cannot run on
meta raises (`.item()`, `bool(t)`, `nonzero`, a tensor kept on the CPU outside the parameters), and
the caller then runs the real model. What runs on meta but would have raised on real values is the
one danger: an index beyond a table (`embedding`, `gather`, `x[idx]`) is not checked there, nor the
input channels of a transposed convolution (all other layers and ops of torch.nn were checked to
refuse on meta what they refuse on the CPU). So a meta run that made such a call (`unchecked`) is
not trusted either.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy
from torch.nn.utils.rnn import PackedSequence

from .. import record
from ..kinds import op_stem
from .perturb import _rebuild

# Calls that index with the values of an integer tensor: on meta, an index out of range is not seen.
_INDEXED_BY_FIRST = frozenset({"embedding", "Embedding", "EmbeddingBag", "embedding_bag", "one_hot"})
_INDEXED = frozenset(
    {
        "getitem", "setitem", "index", "index_select", "gather", "take", "take_along_dim", "scatter",
        "scatter_add", "scatter_reduce", "index_put", "index_add", "index_copy", "index_fill", "index_reduce",
        "nll_loss", "cross_entropy", "NLLLoss", "CrossEntropyLoss", "multi_margin_loss", "put",
    }
)  # fmt: skip
_INTEGER = ("int", "uint", "long", "short")
# Transposed convolutions, whose meta kernels do not check the input's channels against the weight's
# (torch 2.13): a run is trusted only where the record shows they match.
_TRANSPOSED = frozenset({"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"})


def _swaps(model: nn.Module) -> list[tuple[dict[str, Any], str, Any]] | None:
    """(the dict it sits in, its name, the meta stand-in) for every parameter and buffer of `model`, one
    stand-in per tensor object (tied weights stay one); None when a tensor cannot stand on meta."""
    made: dict[int, Any] = {}
    swaps: list[tuple[dict[str, Any], str, Any]] = []
    for m in model.modules():
        for table, is_param in ((m._parameters, True), (m._buffers, False)):
            for name, t in table.items():
                if t is None:
                    continue
                if is_lazy(t) or type(t) not in (torch.Tensor, nn.Parameter) or t.is_meta or t.layout != torch.strided:
                    return None  # a lazy layer, a tensor subclass, a sparse or already-meta weight: run it real
                stand = made.get(id(t))
                if stand is None:
                    empty = torch.empty_like(t, device="meta")
                    stand = made[id(t)] = nn.Parameter(empty, t.requires_grad) if is_param else empty
                swaps.append((table, name, stand))
    return swaps


def _meta_inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """Meta copies of the inputs' tensors (same shapes, dtypes and flags), or None when one cannot be."""
    refused: list[str] = []

    def tensor(path: str, t: torch.Tensor) -> torch.Tensor:
        if type(t) is not torch.Tensor or t.layout != torch.strided:
            refused.append(path)
            return t
        return torch.empty_like(t, device="meta").requires_grad_(t.requires_grad)

    def packed(path: str, p: PackedSequence) -> PackedSequence:
        refused.append(path)  # its batch sizes must stay on the CPU: run it real
        return p

    found = _rebuild((args, kwargs), tensor, packed)
    return None if refused else found


@contextlib.contextmanager
def on_meta(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[Any]:
    """Yield meta copies of `(args, kwargs)` with `model`'s weights on meta, or None (nothing changed)
    when the model or its inputs cannot run there. The weights are put back when the block ends."""
    swaps = _swaps(model)
    given = _meta_inputs(args, kwargs) if swaps is not None else None
    if swaps is None or given is None:
        yield None
        return
    kept = [(table, name, table[name]) for table, name, _ in swaps]
    try:
        for table, name, stand in swaps:
            table[name] = stand
        with torch.device("meta"):  # tensors the forward pass makes (`torch.zeros(B, H)`) are meta too
            yield given
    finally:
        for table, name, real in kept:
            table[name] = real


# Meta's first run imports what torch's Python meta kernels need (sympy, torch._dynamo: about 1.5 s on a
# quiet machine): worth it only when the real runs would spend more than that on arithmetic.
MIN_ELEMENTS = 2_000_000  # tensor elements the traced pass's calls output, in all
MIN_MACS = 500_000_000  # multiply-adds of its weighted layers
# And each call must do enough: a meta call costs a fixed 0.15-0.8 ms in torch's Python kernels, a real
# one its arithmetic (measured, traced runs: ResNet-50, 41 M MACs a call, meta 83 ms / real 195; BERT-base,
# 11 M, 122 / 130; T5-small, 1.4 M, 144 / 144; a MobileNet with SE, 0.6 M, 152 / 46; 10,000 small
# Linears, 8 k, 4721 / 1795).
MIN_MACS_PER_CALL = 5_000_000
MIN_ELEMENTS_PER_CALL = 1_000_000


def worth(trace: record.Trace) -> bool:
    """Whether the traced pass did enough arithmetic, in all and per call, for meta runs to pay for their
    start and their per-call cost (counted from the record's shapes: the same choice on any machine)."""
    elements = macs = 0
    for c in trace.calls:
        out = math.prod(c.outputs[0].shape) if c.outputs else 0
        elements += sum(math.prod(t.shape) for t in c.outputs)
        for p in c.param_list:  # a weight [out, in, k…]: each output element reads in·k… of them
            if p.name.startswith("weight") and len(p.shape) >= 2 and p.shape[0]:
                macs += out * math.prod(p.shape) // p.shape[0]
    calls = max(len(trace.calls), 1)
    return (elements >= MIN_ELEMENTS and elements >= MIN_ELEMENTS_PER_CALL * calls) or (
        macs >= MIN_MACS and macs >= MIN_MACS_PER_CALL * calls
    )


def unchecked(trace: record.Trace) -> bool:
    """Whether a call of the run is one whose errors meta does not raise: indexing by an integer tensor's
    values, a transposed convolution."""
    for c in trace.calls:
        stem = op_stem(c.name) if c.kind != "module" else c.type
        if _channels_differ(c, stem):
            return True
        first = stem in _INDEXED_BY_FIRST
        if not first and stem not in _INDEXED:
            continue
        if any(t.dtype.startswith(_INTEGER) and (first or t.path != "args[0]") for t in c.inputs):
            return True
    return False


def _channels_differ(c: record.Call, stem: str) -> bool:
    """Whether a transposed convolution's input has other channels than its weight takes (which the CPU
    refuses and meta does not); the weight [in, out/groups, k…] is the module's own or the op's 2nd input."""
    if stem in _TRANSPOSED:
        weight = c.inputs[1].shape if len(c.inputs) > 1 and c.inputs[1].path == "args[1]" else None
    elif stem.startswith(("ConvTranspose", "LazyConvTranspose")):
        weight = next((p.shape for p in c.param_list if p.name == "weight"), None)
    else:
        return False
    if weight is None or not c.inputs:
        return True  # cannot be told: not trusted
    x = c.inputs[0].shape
    channels = x[0] if len(x) == len(weight) - 1 else (x[1] if len(x) > 1 else None)
    return channels != weight[0]


def same_shapes(a: record.Trace, b: record.Trace) -> bool:
    """Whether two records made the same calls with the same shapes (devices and values aside)."""
    if (a.failure is None) != (b.failure is None) or len(a.calls) != len(b.calls):
        return False
    if _sides(a.inputs) != _sides(b.inputs) or _sides(a.outputs) != _sides(b.outputs):
        return False
    return all(
        (x.name, x.type, x.parent) == (y.name, y.type, y.parent)
        and _sides(x.inputs) == _sides(y.inputs)
        and _sides(x.outputs) == _sides(y.outputs)
        for x, y in zip(a.calls, b.calls, strict=True)
    )


def _sides(metas: tuple[record.TensorMeta, ...]) -> list[tuple[str, tuple[int, ...], str]]:
    return [(t.path, t.shape, t.dtype) for t in metas]
