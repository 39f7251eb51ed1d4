"""Rule 1: the op that failed, each clashing size with where it came from, and who made the wrong one."""

from __future__ import annotations

from ...kinds import CallKind, Severity
from ...record import Call, Finding, Source, shape_text
from .context import (
    ELEMENTWISE,
    FACTORY,
    JOIN,
    MATMUL,
    RESHAPE,
    Context,
    arg,
    constructor_line,
    dim_arg,
    finding,
    is_int,
    op_of,
)


def _clashes(c: Call) -> list[tuple[int, int, int, int]]:
    """(input a, dim in a, input b, dim in b) of each pair of sizes the failing call could not match."""
    ins = [t for t in c.inputs if t.shape]
    op = op_of(c)
    pairs: list[tuple[int, int, int, int]] = []
    if c.kind == CallKind.MODULE and c.param_list and ins:
        return []  # a layer's weights: see _layer_clash
    if len(ins) >= 2 and op in MATMUL:
        a, b = ins[0], ins[1]
        if len(a.shape) >= 1 and len(b.shape) >= 2 and a.shape[-1] != b.shape[-2]:
            pairs.append((0, len(a.shape) - 1, 1, len(b.shape) - 2))
        return pairs
    if len(ins) >= 2 and (op in ELEMENTWISE or op in JOIN):
        a, b = ins[0], ins[1]
        skip = dim_arg(c, len(a.shape)) if op in JOIN else None
        for k in range(1, min(len(a.shape), len(b.shape)) + 1):
            da, db = len(a.shape) - k, len(b.shape) - k
            if op in JOIN and (da == skip or len(a.shape) != len(b.shape)):
                continue
            sa, sb = a.shape[da], b.shape[db]
            if sa != sb and (op in JOIN or (sa != 1 and sb != 1)):
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
        if op_of(maker) in FACTORY or op_of(maker) in RESHAPE:
            return maker
        same = [x for x in maker.inputs if size in x.shape]
        if not same:
            return maker
        t = same[0]
    return None


def _size_reader(ctx: Context, maker: Call, size: int) -> Call | None:
    """The `x.size(d)` / `x.shape[d]` call before `maker` on the same line whose answer was `size`."""
    for c in ctx.trace.calls:
        if c.id >= maker.id:
            break
        if op_of(c) == "size" and c.source and maker.source and c.source.line == maker.source.line and c.inputs:
            d = arg(c, "args[1]", "kwargs['dim']")
            if d is not None and is_int(d) and c.inputs[0].shape[int(d)] == size:
                return c
    return None


def shape_clash(ctx: Context) -> list[Finding]:
    failure = ctx.trace.failure
    if failure is None:
        return []
    c = ctx.index.by_id.get(failure.call) if failure.call else None
    message = f"{failure.exc_type}: {failure.message.strip().splitlines()[0] if failure.message.strip() else ''}"
    at = failure.raised_at or (c.source if c else None)
    if c is None:
        return [
            finding(
                Severity.ERROR,
                "forward-failed",
                f"the forward pass failed: {message}",
                at,
                message,
                "the model raised before any recorded call failed",
                "see the message",
            )
        ]
    layer = _layer_clash(ctx, c, message, at)
    if layer is not None:
        return [layer]
    pairs = _clashes(c)
    shapes = " and ".join(shape_text(t.shape) for t in c.inputs[:3])
    what = (
        f"{c.type} '{c.name}'" if c.kind == CallKind.MODULE and c.name
        else f"the model ({c.type})" if c.kind == CallKind.MODULE
        else op_of(c)
    )  # fmt: skip
    if not pairs:
        return [
            finding(
                Severity.ERROR,
                "forward-failed",
                f"{what} failed with inputs {shapes}",
                at,
                message,
                "the forward pass raised here",
                "see the message and the shapes",
                [c.id],
            )
        ]
    seen, culprit, wrong = [], None, ""
    for ia, da, ib, db in pairs:
        sa, sb = c.inputs[ia].shape[da], c.inputs[ib].shape[db]
        seen.append(
            f"dim {da} of {shape_text(c.inputs[ia].shape)} is {ctx.said(c.id, 'in', ia, da, sa)}, "
            f"dim {db} of {shape_text(c.inputs[ib].shape)} is {ctx.said(c.id, 'in', ib, db, sb)}"
        )
        for i, d, size in ((ia, da, sa), (ib, db, sb)):
            maker = _maker_of_size(ctx, c, i, d)
            if maker is not None and (op_of(maker) in FACTORY or op_of(maker) in RESHAPE) and culprit is None:
                culprit = maker
                reader = _size_reader(ctx, maker, size)
                read = ""
                if reader is not None:
                    d_read = arg(reader, "args[1]", "kwargs['dim']")
                    read = f", read by .size({d_read}) of a {shape_text(reader.inputs[0].shape)} tensor"
                axis = ctx.axis_of(c.id, "in", i, d)
                named = f"{size} ({axis})" if axis else str(size)
                line = maker.source.line if maker.source else "?"
                wrong = f"{named} was given to {op_of(maker)} at line {line}{read}"
    source = culprit.source if culprit is not None and culprit.source else at
    why = (
        f"{what} needs these sizes to agree; {wrong} — it is taken from the wrong axis"
        if culprit is not None
        else f"{what} needs these sizes to agree"
    )
    fix = (
        "read the size from the axis it stands for (for a sequence-first [T, B, F] input the batch is "
        "x.size(1); for batch-first [B, T, F] it is x.size(0))"
        if culprit is not None
        else "make the two operands agree on that axis (transpose, or fix the layer that made one of them)"
    )
    return [
        finding(
            Severity.ERROR,
            "shape-clash",
            f"{what} failed: {'; '.join(seen)}",
            source,
            f"{message} (inputs {shapes})",
            why,
            fix,
            [c.id] + ([culprit.id] if culprit else []),
        )
    ]


def _layer_clash(ctx: Context, c: Call, message: str, at: Source | None) -> Finding | None:
    """A layer (Linear, Conv, Embedding …) whose weight does not fit its input: sized for another axis?"""
    if c.kind != CallKind.MODULE or not c.param_list or not c.inputs:
        return None
    weight = next((p for p in c.param_list if p.name == "weight"), None)
    x = c.inputs[0]
    if weight is None or len(weight.shape) < 2 or not x.shape:
        return None
    expected = weight.shape[1]  # in_features / in_channels
    got_dim = len(x.shape) - 1 if c.type in ("Linear", "Bilinear") else (1 if len(x.shape) > 2 else 0)
    got = x.shape[got_dim]
    if got == expected:
        return None
    others = [d for d, s in enumerate(x.shape) if s == expected and d != got_dim]
    said = ctx.said(c.id, "in", 0, got_dim, got)
    seen = f"{c.type} '{c.name}' expects {expected} at dim {got_dim} of its input and got {said}"
    seen += f" (input {shape_text(x.shape)})"
    if others:
        d = others[0]
        name = ctx.axis_of(c.id, "in", 0, d)
        axis = f"its input's dim {d}" + (f" ({name})" if name else "")
        return finding(
            Severity.ERROR,
            "shape-clash",
            f"{c.type} '{c.name}' is sized for the wrong axis",
            constructor_line(ctx, c.name) or at,
            f"{seen}; {expected} is the size of {axis}",
            f"the layer was built with {expected} input features, which is the size of another axis of "
            "the tensor it is given",
            f"build it with {got} input features, or move the axis it should read to dim {got_dim} first",
            [c.id],
        )
    maker = _maker_of_size(ctx, c, 0, got_dim)
    source = maker.source if maker is not None and op_of(maker) in RESHAPE and maker.source else at
    return finding(
        Severity.ERROR,
        "shape-clash",
        f"{c.type} '{c.name}' got {got} features where it expects {expected}",
        source,
        f"{seen}; {message}",
        "the tensor reaching the layer has another size on the axis the layer reads"
        + (
            f" — it was shaped by {op_of(maker)} at line {maker.source.line}"
            if maker is not None and maker.source and op_of(maker) in RESHAPE
            else ""
        ),
        "check the reshape or flatten before the layer: which axis goes where",
        [c.id] + ([maker.id] if maker is not None else []),
    )
