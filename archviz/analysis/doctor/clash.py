"""Rule 1: the op that failed, each clashing size with where it came from, and who made the wrong one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...kinds import ELEMENTWISE_OPS, FACTORY_OPS, JOIN_OPS, MATMUL_OPS, RESHAPE_OPS, CallKind, FindingCode, Severity
from ...record import Call, Failure, Finding, Source, TensorMeta, shape_text
from .context import (
    Context,
    arg,
    constructor_line,
    dim_arg,
    finding,
    is_int,
    op_of,
)

# (input a, dim in a, input b, dim in b): two sizes a failing call could not match
_Pair = tuple[int, int, int, int]


def _clashes(c: Call) -> list[_Pair]:
    """(input a, dim in a, input b, dim in b) of each pair of sizes the failing call could not match."""
    ins = [t for t in c.inputs if t.shape]
    op = op_of(c)
    if c.kind == CallKind.MODULE and c.param_list and ins:
        return []  # a layer's weights: see _layer_clash
    if len(ins) < 2:
        return []
    if op in MATMUL_OPS:
        return _matmul_clash(ins[0], ins[1])
    if op in JOIN_OPS:
        return _join_clashes(c, ins[0], ins[1])
    if op in ELEMENTWISE_OPS:
        return _broadcast_clashes(c, ins[0], ins[1])
    return []


def _matmul_clash(a: TensorMeta, b: TensorMeta) -> list[_Pair]:
    """Pair a's last dim with b's second-to-last when a product cannot contract them."""
    if len(a.shape) >= 1 and len(b.shape) >= 2 and a.shape[-1] != b.shape[-2]:
        return [(0, len(a.shape) - 1, 1, len(b.shape) - 2)]
    return []


def _join_clashes(c: Call, a: TensorMeta, b: TensorMeta) -> list[_Pair]:
    """Pair the dims, last first, where two joined tensors of one rank differ off the joined dim."""
    skip = dim_arg(c, len(a.shape))
    if len(a.shape) != len(b.shape):
        return []
    ia, ib = c.inputs.index(a), c.inputs.index(b)
    return [(ia, d, ib, d) for d in reversed(range(len(a.shape))) if d != skip and a.shape[d] != b.shape[d]]


def _broadcast_clashes(c: Call, a: TensorMeta, b: TensorMeta) -> list[_Pair]:
    """Pair the dims, aligned from the last, where two operands differ and neither size is 1."""
    pairs: list[_Pair] = []
    for k in range(1, min(len(a.shape), len(b.shape)) + 1):
        da, db = len(a.shape) - k, len(b.shape) - k
        sa, sb = a.shape[da], b.shape[db]
        if sa != sb and sa != 1 and sb != 1:
            pairs.append((c.inputs.index(a), da, c.inputs.index(b), db))
    return pairs


def _maker_of_size(ctx: Context, c: Call, i: int, dim: int) -> Call | None:
    """The call where input `i` dim `dim` of `c` got its size: a factory or reshape given sizes, or a
    layer sized so; follows the data back through calls that keep that dim."""
    t = c.inputs[i]
    size = t.shape[dim]
    for _ in range(40):
        maker = ctx.index.made_by(t)
        if maker is None:
            return None
        if op_of(maker) in FACTORY_OPS or op_of(maker) in RESHAPE_OPS:
            return maker
        same = [x for x in maker.inputs if size in x.shape]
        if not same:
            return maker
        t = same[0]
    return None


def _size_reader(ctx: Context, maker: Call, size: int) -> Call | None:
    """The `x.size(d)` / `x.shape[d]` call whose answer was `size` and was passed on to `maker`: on its line,
    else the last such read before it in the same function (`batch = x.size(0)`, then `zeros(batch, …)`)."""
    before = [c for c in ctx.trace.calls[: ctx.index.calls.position(maker.id)] if _reads(c, size)]
    if maker.source is None:
        return None
    same_line = [c for c in before if c.source and c.source.line == maker.source.line]
    same_function = [c for c in before if c.source and c.source.function == maker.source.function]
    found = same_line or same_function
    return found[-1] if found else None


def _reads(c: Call, size: int) -> bool:
    """`c` is `x.size(d)` whose answer is `size`."""
    if op_of(c) != "size" or not c.inputs or c.source is None:
        return False
    d = arg(c, "args[1]", "kwargs['dim']")
    return (
        d is not None
        and is_int(d)
        and -len(c.inputs[0].shape) <= int(d) < len(c.inputs[0].shape)
        and (c.inputs[0].shape[int(d)] == size)
    )


def shape_clash(ctx: Context) -> list[Finding]:
    """Explain the failed forward pass: a layer sized for another axis, or the sizes an op could not match."""
    failure = ctx.trace.failure
    if failure is None:
        return []
    c = ctx.index.get(failure.call) if failure.call else None
    message = _message(failure)
    at = failure.raised_at or (c.source if c else None)
    if c is None:
        return [_unrecorded_failure(message, at)]
    layer = _layer_clash(ctx, c, message, at)
    return [layer if layer is not None else _operand_clash(ctx, c, message, at)]


def _message(failure: Failure) -> str:
    """Write the exception as its type and the first line of its message."""
    text = failure.message.strip()
    return f"{failure.exc_type}: {text.splitlines()[0] if text else ''}"


def _unrecorded_failure(message: str, at: Source | None) -> Finding:
    """Report a forward pass that raised outside every recorded call."""
    return finding(
        Severity.ERROR,
        FindingCode.FORWARD_FAILED,
        f"the forward pass failed: {message}",
        at,
        message,
        "the model raised before any recorded call failed",
        "see the message",
    )


def _what(c: Call) -> str:
    """Name the failing call: `Linear 'head'`, `the model (Net)`, or the op."""
    if c.kind != CallKind.MODULE:
        return op_of(c)
    return f"{c.type} '{c.name}'" if c.name else f"the model ({c.type})"


def _operand_clash(ctx: Context, c: Call, message: str, at: Source | None) -> Finding:
    """Report the pairs of sizes the failing call could not match, and the factory or reshape that made one."""
    pairs = _clashes(c)
    shapes = " and ".join(shape_text(t.shape) for t in c.inputs[:3])
    what = _what(c)
    if not pairs:
        return finding(
            Severity.ERROR,
            FindingCode.FORWARD_FAILED,
            f"{what} failed with inputs {shapes}",
            at,
            message,
            "the forward pass raised here",
            "see the message and the shapes",
            [c.id],
        )
    seen = [_pair_text(ctx, c, pair) for pair in pairs]
    culprit, wrong = _culprit(ctx, c, pairs)
    if culprit is None:
        why = f"{what} needs these sizes to agree"
        fix = "make the two operands agree on that axis (transpose, or fix the layer that made one of them)"
    else:
        why = f"{what} needs these sizes to agree; {wrong} — it is taken from the wrong axis"
        fix = (
            "read the size from the axis it stands for (for a sequence-first [T, B, F] input the batch is "
            "x.size(1); for batch-first [B, T, F] it is x.size(0))"
        )
    return finding(
        Severity.ERROR,
        FindingCode.SHAPE_CLASH,
        f"{what} failed: {'; '.join(seen)}",
        culprit.source if culprit is not None and culprit.source else at,
        f"{message} (inputs {shapes})",
        why,
        fix,
        [c.id] + ([culprit.id] if culprit else []),
    )


def _pair_text(ctx: Context, c: Call, pair: _Pair) -> str:
    """Say what each of two clashing sizes is: `dim 1 of [3, 7] is 7 (T), dim 0 of [5, 4] is 5`."""
    ia, da, ib, db = pair
    a, b = c.inputs[ia].shape, c.inputs[ib].shape
    return (
        f"dim {da} of {shape_text(a)} is {ctx.said(c.id, 'in', ia, da, a[da])}, "
        f"dim {db} of {shape_text(b)} is {ctx.said(c.id, 'in', ib, db, b[db])}"
    )


def _culprit(ctx: Context, c: Call, pairs: list[_Pair]) -> tuple[Call | None, str]:
    """Find the first factory or reshape that was given a clashing size, and say how it got it."""
    for ia, da, ib, db in pairs:
        for i, d in ((ia, da), (ib, db)):
            maker = _maker_of_size(ctx, c, i, d)
            if maker is not None and (op_of(maker) in FACTORY_OPS or op_of(maker) in RESHAPE_OPS):
                return maker, _given_size(ctx, c, (i, d), maker)
    return None, ""


def _given_size(ctx: Context, c: Call, where: tuple[int, int], maker: Call) -> str:
    """Say which size `maker` was given and where it was read: `5 was given to zeros at line 20: 5 =
    `input.size(0)` at line 18, which is T (dim 0 of a [5, 3, 10] sequence-first input); the batch is dim 1`."""
    i, d = where
    size = c.inputs[i].shape[d]
    line = maker.source.line if maker.source else "?"
    head = f"{size} was given to {op_of(maker)} at line {line}"
    reader = _size_reader(ctx, maker, size)
    if reader is None or reader.source is None:
        axis = ctx.axis_of(c.id, "in", i, d)
        return f"{size} ({axis}) was given to {op_of(maker)} at line {line}" if axis else head
    read = int(arg(reader, "args[1]", "kwargs['dim']") or 0) % len(reader.inputs[0].shape)
    expr = _size_expression(reader, read)
    return f"{head}: {size} = `{expr}` at line {reader.source.line}{_which_axis(ctx, reader, read)}"


def _size_expression(reader: Call, dim: int) -> str:
    """`input.size(0)` as the code wrote it, when its line says so; else `.size(0)`."""
    code = reader.source.code if reader.source else ""
    m = re.search(rf"([A-Za-z_][\w.]*)\.size\(\s*(?:dim\s*=\s*)?-?{dim}\s*\)", code) or re.search(
        r"([A-Za-z_][\w.]*)\.size\([^)]*\)", code
    )
    return m[0] if m else f".size({dim})"


def _which_axis(ctx: Context, reader: Call, dim: int) -> str:
    """`, which is T (dim 0 of a [5, 3, 10] sequence-first input); the batch is dim 1`, as far as known."""
    t = reader.inputs[0]
    names = [ctx.axis_of(reader.id, "in", 0, k) for k in range(len(t.shape))]
    axis = names[dim]
    if axis is None:
        return f" (dim {dim} of a {shape_text(t.shape)} tensor)"
    order = "sequence-first " if names[:2] == ["T", "B"] else "batch-first " if names[:2] == ["B", "T"] else ""
    text = f", which is {axis} (dim {dim} of a {shape_text(t.shape)} {order}input)"
    if axis != "B" and "B" in names:
        text += f"; the batch is dim {names.index('B')}"
    return text


@dataclass(frozen=True)
class _Misfit:
    """A layer's input that does not fit its weight: the size the weight expects, the dim the layer
    reads, the size found there, and a sentence saying so."""

    expected: int
    dim: int
    got: int
    seen: str


def _layer_clash(ctx: Context, c: Call, message: str, at: Source | None) -> Finding | None:
    """A layer (Linear, Conv, Embedding …) whose weight does not fit its input: sized for another axis?"""
    if c.type in _TABLES:
        return _ids_beyond(c, message, at)
    misfit = _misfit(ctx, c)
    if misfit is None:
        return None
    x = c.inputs[0]
    others = [d for d, s in enumerate(x.shape) if s == misfit.expected and d != misfit.dim]
    if others:
        return _wrong_axis(ctx, c, misfit, others[0], at)
    return _wrong_features(ctx, c, misfit, message, at)


_TABLES = frozenset({"Embedding", "EmbeddingBag"})
_IDS = re.compile(r"ids (?:up to|from (-?\d+) to) (-?\d+); the \w+ has (\d+) rows")


def _ids_beyond(c: Call, message: str, at: Source | None) -> Finding | None:
    """An embedding table given ids it has no row for (the capture measured them: `ids up to 99; the
    Embedding has 10 rows`)."""
    found = _IDS.search(message)
    if found is None:
        return None
    low, high, rows = int(found.group(1) or 0), int(found.group(2)), int(found.group(3))
    got = f"ids up to {high}" if low >= 0 else f"negative ids (from {low})"
    return finding(
        Severity.ERROR,
        FindingCode.SHAPE_CLASH,
        f"{c.type} '{c.name}' got {got}; it has {rows} rows",
        at,
        f"{message.split(': ', 1)[-1]}; input {shape_text(c.inputs[0].shape) if c.inputs else '?'}",
        f"an embedding looks up one row per id: ids must lie in 0–{rows - 1}",
        f"build it with num_embeddings >= {high + 1} (the vocabulary size), or check where the ids come from "
        "(a tokenizer with another vocabulary, ids not shifted after adding special tokens)",
        [c.id],
    )


def _misfit(ctx: Context, c: Call) -> _Misfit | None:
    """Compare a layer's weight with the dim of its first input it reads; None when they fit."""
    if c.kind != CallKind.MODULE or not c.param_list or not c.inputs or c.type in _TABLES:
        return None  # an embedding's weight is [rows, dim]: its input holds ids, not features
    weight = next((p for p in c.param_list if p.name == "weight"), None)
    x = c.inputs[0]
    if weight is None or len(weight.shape) < 2 or not x.shape:
        return None
    expected = weight.shape[1]  # in_features / in_channels
    dim = _feature_dim(c, len(x.shape))
    got = x.shape[dim]
    if got == expected:
        return None
    said = ctx.said(c.id, "in", 0, dim, got)
    seen = f"{c.type} '{c.name}' expects {expected} at dim {dim} of its input and got {said}"
    seen += f" (input {shape_text(x.shape)})"
    return _Misfit(expected, dim, got, seen)


def _feature_dim(c: Call, rank: int) -> int:
    """The dim of its input a layer reads its features from: the last for Linear, else the channels."""
    if c.type in ("Linear", "Bilinear"):
        return rank - 1
    return 1 if rank > 2 else 0  # an unbatched input has its channels first


def _wrong_axis(ctx: Context, c: Call, misfit: _Misfit, d: int, at: Source | None) -> Finding:
    """Report a layer built for the size of another axis (`d`) of the tensor it is given."""
    name = ctx.axis_of(c.id, "in", 0, d)
    axis = f"its input's dim {d}" + (f" ({name})" if name else "")
    return finding(
        Severity.ERROR,
        FindingCode.SHAPE_CLASH,
        f"{c.type} '{c.name}' is sized for the wrong axis",
        constructor_line(ctx, c.name) or at,
        f"{misfit.seen}; {misfit.expected} is the size of {axis}",
        f"the layer was built with {misfit.expected} input features, which is the size of another axis of "
        "the tensor it is given",
        f"build it with {misfit.got} input features, or move the axis it should read to dim {misfit.dim} first",
        [c.id],
    )


def _wrong_features(ctx: Context, c: Call, misfit: _Misfit, message: str, at: Source | None) -> Finding:
    """Report a layer given another number of features, pointing at the reshape that made them if any."""
    maker = _maker_of_size(ctx, c, 0, misfit.dim)
    shaped = maker.source if maker is not None and op_of(maker) in RESHAPE_OPS else None
    return finding(
        Severity.ERROR,
        FindingCode.SHAPE_CLASH,
        f"{c.type} '{c.name}' got {misfit.got} features where it expects {misfit.expected}",
        shaped or at,
        f"{misfit.seen}; {message}",
        "the tensor reaching the layer has another size on the axis the layer reads"
        + (f" — it was shaped by {op_of(maker)} at line {shaped.line}" if maker is not None and shaped else ""),
        "check the reshape or flatten before the layer: which axis goes where",
        [c.id] + ([maker.id] if maker is not None else []),
    )


RULES = (shape_clash,)
