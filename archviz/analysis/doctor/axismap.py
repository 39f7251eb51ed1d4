"""Where the dims of an op's output come from, positionally: for the rules that follow one axis of a
tensor through the ops after it (the weights' axis of a softmax, the time axis of a padded batch).

`Dims` names, for each dim of a tensor, the dim of some reference tensor it came from (None for a new or
merged dim). Only what the recorded arguments and shapes prove is mapped: a view maps the dims of an
unchanged leading or trailing run of sizes, and nothing else.
"""

from __future__ import annotations

import re

from ...kinds import CallKind, op_stem
from ...record import Call, TensorMeta
from .context import arg

Dims = tuple[int | None, ...]

_RESHAPES = frozenset({"view", "reshape", "flatten", "unflatten", "view_as", "reshape_as"})
_WIDENS = frozenset({"expand", "expand_as", "repeat", "broadcast_to", "tile"})
_SWAPS = frozenset({"transpose", "swapaxes", "swapdims"})


def ints(text: str | None) -> list[int]:
    """Every integer in an argument's summary (`(0, 2, 1)` -> [0, 2, 1])."""
    return [int(x) for x in re.findall(r"-?\d+", text)] if text else []


def _positional(c: Call) -> list[int]:
    """The integers of a call's arguments after the tensor, in order (`permute(0, 2, 1)` or `((0, 2, 1))`)."""
    found = []
    for a in c.args:
        if re.fullmatch(r"args\[\d+\](\[\d+\])?", a.path) and not a.path.startswith("args[0]"):
            found += ints(a.summary)
    return found


def mapped(c: Call, t: TensorMeta, dims: Dims) -> Dims | None:
    """The dims of `c`'s first output, for an op that only moves, adds or drops the dims of input `t`
    (`dims` are `t`'s); None for any other op, or when the arguments do not say."""
    if not c.outputs or c.kind != CallKind.OP:
        return None
    name, out = op_stem(c.name), c.outputs[0].shape
    if name == "unsqueeze":
        return _unsqueezed(c, dims, len(out))
    if name == "squeeze":
        return _squeezed(c, t, dims)
    if name in _SWAPS or name in ("T", "mT", "t", "permute"):
        return _reordered(c, name, dims)
    if name in _RESHAPES:
        return _reshaped(t.shape, out, dims)
    if name in _WIDENS and len(out) >= len(dims):
        return (None,) * (len(out) - len(dims)) + dims
    return None


def _unsqueezed(c: Call, dims: Dims, rank: int) -> Dims | None:
    at = ints(arg(c, "args[1]", "kwargs['dim']"))
    if len(at) != 1:
        return None
    p = at[0] % rank
    return (*dims[:p], None, *dims[p:])


def _squeezed(c: Call, t: TensorMeta, dims: Dims) -> Dims | None:
    at = ints(arg(c, "args[1]", "kwargs['dim']"))
    rank = len(t.shape)
    drop = {d % rank for d in at} if at else set(range(rank))
    return tuple(d for i, d in enumerate(dims) if not (i in drop and t.shape[i] == 1))


def _reordered(c: Call, name: str, dims: Dims) -> Dims | None:
    rank = len(dims)
    if name == "permute":
        order = [d % rank for d in _positional(c)] if rank else []
        return tuple(dims[d] for d in order) if sorted(order) == list(range(rank)) else None
    if name == "T" or (name == "t" and rank == 2):
        return dims[::-1]
    pair = [d % rank for d in _positional(c)] if name in _SWAPS else [rank - 2, rank - 1]
    if len(pair) != 2 or rank < 2:
        return None
    swapped = list(dims)
    swapped[pair[0]], swapped[pair[1]] = dims[pair[1]], dims[pair[0]]
    return tuple(swapped)


def _reshaped(before: tuple[int, ...], after: tuple[int, ...], dims: Dims) -> Dims:
    """A view keeps a dim only inside an unchanged leading or trailing run of sizes."""
    found: list[int | None] = [None] * len(after)
    n = min(len(before), len(after))
    i = 0
    while i < n and before[i] == after[i]:
        found[i] = dims[i]
        i += 1
    j = 1
    while j <= n - i and before[-j] == after[-j]:
        found[-j] = dims[-j]
        j += 1
    return tuple(found)


def reduced_dims(c: Call, rank: int) -> tuple[int, ...] | None:
    """The dims a sum/mean/max reduces (all when it names none); None when its `dim` is not plain."""
    text = arg(c, "kwargs['dim']", "args[1]", "kwargs['axis']")
    if text is None or text.strip() == "None":
        return tuple(range(rank))
    found = ints(text)
    if not found or not rank or not re.fullmatch(r"[\s\d,()\[\]-]+", text):
        return None
    return tuple(sorted({d % rank for d in found}))


def contracted(c: Call, slot: int, dims: Dims) -> tuple[tuple[int, ...], Dims | None] | None:
    """For input `slot` (with `dims`) of a matmul, bmm or einsum: the dims of it the op sums over, and the
    dims of the output (None when unknown); None when the op is none of those or its equation is not plain."""
    name = op_stem(c.name)
    if name == "einsum":
        return _einsum(c, slot, dims)
    operands = [1, 2] if name in ("baddbmm", "addmm", "addbmm") else [1, 0] if name == "rmatmul" else [0, 1]
    if slot not in operands or len(c.inputs) < max(operands) + 1:
        return None
    other = c.inputs[operands[1 - operands.index(slot)]]
    first = operands.index(slot) == 0
    return _matmul(dims, len(other.shape), first, len(c.outputs[0].shape) if c.outputs else 0)


def _matmul(dims: Dims, other: int, first: bool, rank_out: int) -> tuple[tuple[int, ...], Dims | None]:
    rank = len(dims)
    if rank == 1:
        return (0,), None
    if first:
        kept: Dims = dims[:-1] + ((None,) if other >= 2 else ())
        reduced = rank - 1
    else:
        kept = dims[:-2] + (((None,) if other >= 2 else ()) + (dims[-1],))
        reduced = rank - 2
    pad = rank_out - len(kept)
    return (reduced,), ((None,) * pad + kept if pad >= 0 else None)


def _einsum(c: Call, slot: int, dims: Dims) -> tuple[tuple[int, ...], Dims | None] | None:
    equation = (arg(c, "args[0]", "kwargs['equation']") or "").strip("'\" ").replace(" ", "")
    if not equation or "." in equation:
        return None
    specs, _, out = equation.partition("->")
    inputs = specs.split(",")
    if slot >= len(inputs) or len(inputs[slot]) != len(dims):
        return None
    if not _:
        every = "".join(inputs)
        out = "".join(sorted(x for x in set(every) if every.count(x) == 1))
    letters = inputs[slot]
    reduced = tuple(i for i, x in enumerate(letters) if x not in out)
    return reduced, tuple(dims[letters.index(x)] if x in letters else None for x in out)
