"""softmax-axis: a softmax over an axis that the weighted sum it feeds does not reduce.

A softmax makes weights that sum to one over its axis; the attention (or pooling) that follows is a
weighted average only when its sum runs over that same axis. The rule follows the softmax's output
positionally (through dropout, masking, casts, unsqueeze, transposes, views that keep the axis, a
renormalisation) to the first contraction with data: a matmul, bmm or einsum (the first operand of
`a @ b` is contracted on its last dim, the second on its second-to-last), or a product followed by a
sum or mean. It reports when that contraction reduces other axes of the weights and not theirs. A
softmax whose output meets no such contraction (a classifier's probabilities, a router's top-k) is
never reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ...kinds import (
    ELEMENTWISE_OPS,
    FACTORY_OPS,
    MASKING_OPS,
    MATMUL_OPS,
    CallKind,
    FindingCode,
    Severity,
    op_stem,
)
from ...record import Call, Finding, TensorMeta, shape_text
from .axismap import Dims, contracted, mapped, reduced_dims
from .context import Context, arg, constructor_line, dim_arg, finding, op_of

_SOFTMAX_OPS = frozenset({"softmax", "log_softmax", "_softmax", "_log_softmax"})
_SOFTMAX_MODULES = frozenset({"Softmax", "LogSoftmax"})
# Ops and modules that hand the weights on, position for position.
_KEEP_OPS = frozenset(
    "dropout dropout_ feature_alpha_dropout to float half double bfloat16 type type_as contiguous clone detach "
    "masked_fill masked_fill_ nan_to_num clamp clamp_min".split()
)
_KEEP_MODULES = frozenset({"Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "Identity"})
_SUMS = frozenset({"sum", "mean", "nansum", "nanmean"})
_MULS = frozenset({"mul", "rmul", "mul_"})
_STEPS = 40  # calls followed from one softmax at most


@dataclass(frozen=True)
class _Weights:
    """The softmax's output as it flows on: the tensor, where each of its dims came from in the softmax's
    input (None for a new dim), the dim the weights sum to one over, and the data it was multiplied by."""

    t: TensorMeta
    dims: Dims
    axis: int
    data: TensorMeta | None = None


@dataclass(frozen=True)
class _Miss:
    """A contraction that reduces other dims of the weights than the one they sum to one over."""

    call: Call
    weights: _Weights
    operand: int  # which input of `call` the weights are
    reduced: tuple[int, ...]  # the dims of the weights it reduces


def softmax_axis(ctx: Context) -> list[Finding]:
    """Report every softmax whose weights meet a weighted sum over other axes than their own."""
    found = []
    known = _known(ctx)
    for c in ctx.trace.calls:
        start = _start(ctx, known, c)
        miss = _follow(ctx, known, start) if start is not None else None
        if start is not None and miss is not None:
            found.append(_finding(ctx, known, c, start, miss))
    return found


@dataclass(frozen=True)
class _Known:
    """Tensors (by tid) computed from the model's inputs, and the floating ones among them that carry data:
    not masks cast from integers, not positions made from sizes."""

    varying: frozenset[str]
    data: frozenset[str]


def _known(ctx: Context) -> _Known:
    """One pass over the calls in order: a call's outputs vary when an input does; they are data when a
    layer with weights reads a varying input, or an op (not a comparison or a factory) reads data."""
    varying = {t.tid for t in ctx.trace.inputs}
    data = {t.tid for t in ctx.trace.inputs if _floating(t)}
    for c in ctx.trace.calls:
        if any(t.tid in varying for t in c.inputs):
            varying.update(t.tid for t in c.outputs)
        if c.name in MASKING_OPS or op_stem(c.name) in FACTORY_OPS:
            continue
        weighs = c.kind == CallKind.MODULE and c.params and any(t.tid in varying for t in c.inputs)
        if weighs or any(t.tid in data for t in c.inputs):
            data.update(t.tid for t in c.outputs if _floating(t))
    return _Known(frozenset(varying), frozenset(data))


def _start(ctx: Context, known: _Known, c: Call) -> _Weights | None:
    """The softmax's output with its axis, for a softmax op or an nn.Softmax module with a known dim."""
    if not c.inputs or not c.outputs or c.outputs[0].shape != c.inputs[0].shape:
        return None
    rank = len(c.inputs[0].shape)
    if c.kind == CallKind.OP and c.name in _SOFTMAX_OPS:
        d = dim_arg(c, rank)
    elif c.kind == CallKind.MODULE and c.type in _SOFTMAX_MODULES:
        d = _module_dim(ctx, c, rank)
    else:
        return None
    if d is None or not 0 <= d < rank or c.inputs[0].tid not in known.varying:
        return None  # a softmax of parameters (a learned mixing or transition matrix) weighs no inputs
    return _Weights(c.outputs[0], tuple(range(rank)), d)


def _module_dim(ctx: Context, c: Call, rank: int) -> int | None:
    """The dim an nn.Softmax was built with, read off the line that builds it (`nn.Softmax(dim=1)`)."""
    built = constructor_line(ctx, c.name)
    m = re.search(r"Softmax\(\s*(?:dim\s*=\s*)?(-?\d+)", built.code) if built is not None else None
    return int(m[1]) % rank if m is not None and rank else None


# ---------------------------------------------------------------------------------------------
# following the weights
# ---------------------------------------------------------------------------------------------


def _follow(ctx: Context, known: _Known, start: _Weights) -> _Miss | None:
    """The first contraction with data that misses the weights' axis, following every reader."""
    todo = [start]
    seen: set[str] = set()
    while todo and len(seen) < _STEPS:
        w = todo.pop(0)
        for reader in _outer_readers(ctx, w.t):
            if reader.id in seen:
                continue
            seen.add(reader.id)
            step = _step(ctx, known, reader, w)
            if isinstance(step, _Miss):
                return step
            todo += step
    return None


def _outer_readers(ctx: Context, t: TensorMeta) -> list[Call]:
    """The calls that read `t`, leaving out those inside another one of them (a module's own ops)."""
    readers = [r for r in (ctx.index.get(i) for i in dict.fromkeys(ctx.index.readers(t.tid))) if r is not None]
    return [r for r in readers if not any(q.id != r.id and ctx.index.within(r.id, q.id) for q in readers)]


def _step(ctx: Context, known: _Known, c: Call, w: _Weights) -> list[_Weights] | _Miss:
    """What call `c` does with the weights `w`: hand them on (as new weights), or contract them."""
    slot = next((i for i, x in enumerate(c.inputs) if x.tid == w.t.tid), None)
    if slot is None or not c.outputs:
        return []
    if c.kind == CallKind.MODULE:
        return _moved(w, c.outputs[0], w.dims) if c.type in _KEEP_MODULES else []
    op = op_stem(c.name)
    if c.name in _KEEP_OPS and c.outputs[0].shape == w.t.shape:
        return _moved(w, c.outputs[0], w.dims)
    if op in MATMUL_OPS or c.name in MATMUL_OPS:
        return _contraction(known, c, w, slot)
    if op in _SUMS:
        return _reduction(c, w)
    if c.name in ELEMENTWISE_OPS or op in ELEMENTWISE_OPS:
        return _elementwise(ctx, known, c, w, slot)
    dims = mapped(c, w.t, w.dims)
    return _moved(w, c.outputs[0], dims) if dims is not None else []


def _moved(w: _Weights, t: TensorMeta, dims: Dims) -> list[_Weights]:
    """The weights as tensor `t` with dims `dims` (their axis follows its origin); [] when it is lost."""
    origin = w.dims[w.axis]
    return [replace(w, t=t, dims=dims, axis=dims.index(origin))] if origin is not None and origin in dims else []


def _elementwise(ctx: Context, known: _Known, c: Call, w: _Weights, slot: int) -> list[_Weights]:
    """A product with data marks the weights as applied; a division by their own sum renormalises them."""
    out = c.outputs[0]
    pad = len(out.shape) - len(w.t.shape)
    if pad < 0:
        return []
    dims: Dims = (None,) * pad + w.dims
    others = [x for i, x in enumerate(c.inputs) if i != slot]
    found = _moved(w, out, dims)
    if not found:
        return []
    moved = found[0]
    renorm = _renormalised(ctx, c, w, others, slot)
    if renorm is not None:
        return [replace(moved, axis=renorm + pad)]
    if op_stem(c.name) in _MULS and others and w.data is None:
        data = next((x for x in others if x.tid in known.data), None)
        return [replace(moved, data=data)]
    return [moved]


def _renormalised(ctx: Context, c: Call, w: _Weights, others: list[TensorMeta], slot: int) -> int | None:
    """`w / w.sum(dim=d, keepdim=True)`: the dim d the weights now sum to one over; else None."""
    if op_stem(c.name) not in ("div", "truediv") or slot != 0 or len(others) != 1:
        return None
    total = ctx.index.made_by(others[0])
    if total is None or op_stem(total.name) != "sum" or not total.inputs:
        return None
    if total.inputs[0].tid != w.t.tid:
        return None
    dims = reduced_dims(total, len(w.t.shape))
    return dims[0] if dims is not None and len(dims) == 1 else None


def _contraction(known: _Known, c: Call, w: _Weights, slot: int) -> list[_Weights] | _Miss:
    """A matmul or einsum: fine when it contracts the weights' axis; a miss when it contracts other dims of
    them against data; a projection by parameters hands the weights on."""
    how = contracted(c, slot, w.dims)
    if how is None:
        return []
    reduced, dims = how
    if w.axis in reduced:
        return []
    partners = [x for i, x in enumerate(c.inputs) if i != slot]
    if reduced and any(x.tid in known.data for x in partners):
        return _Miss(c, w, slot, reduced)
    return _moved(w, c.outputs[0], dims) if dims is not None else []


def _reduction(c: Call, w: _Weights) -> list[_Weights] | _Miss:
    """A sum or mean: a miss when the weights were multiplied by data and it reduces other dims only."""
    reduced = reduced_dims(c, len(w.t.shape))
    if reduced is None or w.axis in reduced or w.data is None:
        return []
    return _Miss(c, w, 0, reduced)


def _floating(t: TensorMeta) -> bool:
    return t.dtype.startswith(("float", "bfloat", "complex"))


# ---------------------------------------------------------------------------------------------
# the finding
# ---------------------------------------------------------------------------------------------


def _finding(ctx: Context, known: _Known, sm: Call, start: _Weights, miss: _Miss) -> Finding:
    x = sm.inputs[0]
    d = start.axis
    w = miss.weights
    size1 = x.shape[d] == 1
    batch = ctx.axis_of(sm.id, "in", 0, d) == "B"
    own = _dim_text(ctx, sm, d)
    summed = _names([_reduced_text(ctx, sm, miss, r) for r in miss.reduced])
    back = [w.dims[r] for r in miss.reduced]
    line = miss.call.source.line if miss.call.source else None
    at = f" at line {line}" if line else ""
    what = op_of(miss.call) if miss.call.kind == CallKind.OP else miss.call.type
    strong = size1 or batch or _scores(ctx, known, x) or _pooled(ctx, x, miss)
    return finding(
        Severity.WARNING if strong else Severity.NOTE,
        FindingCode.SOFTMAX_AXIS,
        f"{_named(sm)} over {own}, but the weighted sum{at} runs over {summed}",
        sm.source,
        f"{op_of(sm)}(dim={_written_dim(sm, d)}) of {shape_text(x.shape)}; {what}{at} "
        f"{_contraction_text(miss)} and keeps the softmax's axis (as dim {w.axis}) in its result "
        f"{shape_text(miss.call.outputs[0].shape)}",
        _why(own, summed, size1, batch),
        _fix(sm, back, len(x.shape)),
        [sm.id, miss.call.id],
    )


def _named(sm: Call) -> str:
    return sm.name if sm.kind == CallKind.OP else f"nn.{sm.type} '{sm.name}'"


def _written_dim(sm: Call, d: int) -> str:
    """The softmax's dim as the code gives it (`-1`, `1`), else as a number."""
    text = arg(sm, "kwargs['dim']", "args[1]")
    return text if text is not None and re.fullmatch(r"-?\d+", text.strip()) else str(d)


def _contraction_text(miss: _Miss) -> str:
    """`contracts dim 2 of the weights [3, 5, 8] against [3, 8, 16]`, or for a product then a sum, `sums dim
    1 of the weights [4, 9, 1] times [4, 9, 16]`."""
    dims = _names([str(r) for r in miss.reduced])
    w = miss.weights
    if w.data is not None:
        return f"sums dim {dims} of the weights times {shape_text(w.data.shape)} (a {shape_text(w.t.shape)} product)"
    others = [x for i, x in enumerate(miss.call.inputs) if i != miss.operand]
    against = f" against {shape_text(others[0].shape)}" if others else ""
    return f"contracts dim {dims} of the weights {shape_text(w.t.shape)}{against}"


def _why(own: str, summed: str, size1: bool, batch: bool) -> str:
    if size1:
        return (
            f"a softmax over a size-1 axis is 1 everywhere: every weight is one, so the sum over {summed} is a "
            "plain, unweighted sum whose scale grows with its length"
        )
    mixed = " — the batch axis, so each sample's weights depend on the other samples —" if batch else ""
    return (
        f"the weights sum to one over {own}{mixed} but the sum runs over {summed}: the result is no weighted "
        f"average over {summed} (its scale grows with that length), and the positions along {own} compete for "
        "the weight instead"
    )


def _fix(sm: Call, back: list[int | None], rank: int) -> str:
    also = ", or contract the weights over their own axis (transpose them before the product)"
    if len(back) == 1 and back[0] is not None:
        call = (
            f"{sm.name}(…, dim={_signed(back[0], rank)})" if sm.kind == CallKind.OP else f"nn.{sm.type}(dim={back[0]})"
        )
        return f"take the softmax over the axis the sum reduces: {call}{also}"
    return f"take the softmax over the axis the weighted sum reduces{also}"


def _signed(d: int, rank: int) -> str:
    return "-1" if d == rank - 1 and rank > 1 else str(d)


def _dim_text(ctx: Context, c: Call, d: int) -> str:
    """`dim 1 (T)` or `dim 2 (size 24)`: a dim of `c`'s first input, by its axis name where it has one."""
    name = ctx.axis_of(c.id, "in", 0, d)
    return f"dim {d} ({name if name else f'size {c.inputs[0].shape[d]}'})"


def _reduced_text(ctx: Context, sm: Call, miss: _Miss, r: int) -> str:
    """A dim the contraction reduces, named as the softmax's input dim it came from where it did."""
    origin = miss.weights.dims[r]
    if origin is not None:
        return _dim_text(ctx, sm, origin)
    name = ctx.axis_of(miss.call.id, "in", miss.operand, r)
    return f"dim {r} of the weights ({name if name else f'size {miss.weights.t.shape[r]}'})"


def _names(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


# ---------------------------------------------------------------------------------------------
# how sure: attention scores, a pooling of the scored tensor
# ---------------------------------------------------------------------------------------------


def _scores(ctx: Context, known: _Known, x: TensorMeta) -> bool:
    """The softmax reads attention scores: a product of two data tensors (q·kᵀ), through scaling, masking,
    a bias, views and transposes."""
    for _ in range(8):
        c = ctx.index.made_by(x)
        if c is None or not c.inputs:
            return False
        if op_stem(c.name) in MATMUL_OPS or c.name in MATMUL_OPS:
            return sum(t.tid in known.data for t in c.inputs) >= 2
        same = [t for t in c.inputs if t.shape == x.shape]
        x = same[0] if same else c.inputs[0]
    return False


def _pooled(ctx: Context, x: TensorMeta, miss: _Miss) -> bool:
    """Attention pooling with the weights over the features: the data summed is what the scores were
    computed from, and the weights' axis is its last (feature) axis."""
    data = miss.weights.data
    if data is None or miss.weights.axis != len(miss.weights.t.shape) - 1:
        return False
    todo = [x]
    seen: set[str] = set()
    while todo and len(seen) < 64:
        t = todo.pop()
        if t.tid == data.tid:
            return True
        if t.tid in seen:
            continue
        seen.add(t.tid)
        c = ctx.index.made_by(t)
        todo += list(c.inputs) if c is not None else []
    return False


RULES = (softmax_axis,)
