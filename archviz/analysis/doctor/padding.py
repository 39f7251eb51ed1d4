"""padding-read, reductions: a mean, max or sum over the time axis of a padded batch with no mask.

A padded batch comes from `pad_packed_sequence` or `pad_sequence` (with lengths that differ: the record
has the packed rows and the padded size), or from an nn.Embedding built with a `padding_idx` (the model
says its token ids carry padding). Its time axis is followed positionally (through dropout, casts,
activations, transposes, a recurrent layer run over the padding, per-position layers) to a reduction
over it. A mean always counts the padded steps; a sum does once they are not zero; a max does unless the
padding is -inf (or the values cannot be negative). A product with a tensor that spans the batch and
time axes (a mask, or weights) first ends the search: the code took the lengths into account.

The last step of a recurrent layer run over padded embeddings (`out[:, -1]`) is reported here too; the
last step after `pad_packed_sequence` is `layout.padding_read`'s.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from ...kinds import (
    ELEMENTWISE_OPS,
    GETITEM,
    IN_PLACE_DUNDERS,
    MASKING_OPS,
    RECURRENT_MODULES,
    CallKind,
    FindingCode,
    Severity,
    op_stem,
)
from ...record import Call, Finding, TensorMeta, named_path, shape_text
from .axismap import Dims, mapped, reduced_dims
from .context import Context, arg, constructor_line, finding, index_positions, op_of, recurrent_layout

_KEEP_OPS = frozenset("dropout dropout_ to float half double bfloat16 type_as contiguous clone detach".split())
_KEEP_MODULES = frozenset({"Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "Identity"})
_ACTIVATIONS = {
    "relu": lambda v: max(v, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)) if v > -700 else 0.0,
}
_NON_NEGATIVE = frozenset({"relu", "sigmoid"})
_COUNTING = frozenset({"mean", "nanmean", "std", "var", "median", "logsumexp"})  # every step counts
_SUMMING = frozenset({"sum", "nansum"})
_MAXING = frozenset({"max", "amax"})
_MINING = frozenset({"min", "amin"})
_STEPS = 40


@dataclass(frozen=True)
class _Padded:
    """A padded batch as it flows on: the call that padded it, the tensor, its batch and time dims, the
    value at padded positions (None once it is no constant), and what the record says of the lengths."""

    source: Call
    t: TensorMeta
    dims: Dims  # 0 marks the batch dim, 1 the time dim
    fill: float | None
    lengths: str
    non_negative: bool = False
    rnn: Call | None = None  # a recurrent layer run over the padding on the way


def padding_reduction(ctx: Context) -> list[Finding]:
    """Report reductions over the time axis of a padded batch that count the padding."""
    found = []
    for start in _sources(ctx):
        found += _follow(ctx, start)
    return found


# ---------------------------------------------------------------------------------------------
# padded batches
# ---------------------------------------------------------------------------------------------


def _sources(ctx: Context) -> list[_Padded]:
    found = []
    for c in ctx.trace.calls:
        if not c.outputs:
            continue
        if c.kind == CallKind.FUNCTION and c.name == "pad_packed_sequence":
            p = _unpacked(c)
        elif c.kind == CallKind.FUNCTION and c.name == "pad_sequence":
            p = _stacked(c)
        elif c.kind == CallKind.MODULE and c.type == "Embedding":
            p = _embedded(ctx, c)
        else:
            p = None
        if p is not None:
            found.append(p)
    return found


def _layout(c: Call, rank: int) -> Dims:
    first = arg(c, "batch_first", "kwargs['batch_first']") == "True"
    dims: Dims = (0, 1) if first else (1, 0)
    return dims + (None,) * (rank - 2)


def _fill(c: Call) -> float | None:
    text = arg(c, "padding_value", "kwargs['padding_value']")
    try:
        return float(text) if text is not None else 0.0
    except ValueError:
        return None


def _unpacked(c: Call) -> _Padded | None:
    """pad_packed_sequence's padded output, when its packed rows are fewer than batch × time."""
    out = c.outputs[0]
    if not c.inputs or len(out.shape) < 3:
        return None
    real, total = c.inputs[0].shape[0], out.shape[0] * out.shape[1]
    if real >= total:
        return None
    said = f"{real} of its {total} steps are real (lengths differ)"
    return _Padded(c, out, _layout(c, len(out.shape)), _fill(c), said)


def _stacked(c: Call) -> _Padded | None:
    """pad_sequence's output, when the sequences it pads have different lengths."""
    out = c.outputs[0]
    lengths = [t.shape[0] for t in c.inputs if t.shape]
    if len(set(lengths)) < 2 or len(out.shape) < 2:
        return None
    said = f"the sequences have lengths {', '.join(map(str, lengths))}"
    return _Padded(c, out, _layout(c, len(out.shape)), _fill(c), said)


def _embedded(ctx: Context, c: Call) -> _Padded | None:
    """An nn.Embedding built with a padding_idx, over token ids whose time axis the doctor named."""
    built = constructor_line(ctx, c.name)
    if built is None or not re.search(r"padding_idx\s*=\s*(?!None\b)", built.code) or not c.inputs:
        return None
    ids, out = c.inputs[0], c.outputs[0]
    if len(ids.shape) != 2 or len(out.shape) != 3:
        return None
    named = [ctx.axis_of(c.id, "in", 0, d) for d in (0, 1)]
    if "T" not in named:
        return None
    time = named.index("T")
    dims: Dims = (1, 0, None) if time == 0 else (0, 1, None)
    said = f"the embedding is built with padding_idx (line {built.line}): its token ids carry padding"
    return _Padded(c, out, dims, 0.0, said)


# ---------------------------------------------------------------------------------------------
# following the time axis
# ---------------------------------------------------------------------------------------------


def _follow(ctx: Context, start: _Padded) -> list[Finding]:
    todo, found = [start], []
    seen: set[str] = set()
    while todo and len(seen) < _STEPS:
        p = todo.pop(0)
        readers = _outer_readers(ctx, p.t)
        if any(_writes_into(r, p.t) for r in readers):
            continue  # `out[out == 0] = -1e9`, `masked_fill_`: the code rewrites the padding in place
        for reader in readers:
            if reader.id in seen:
                continue
            seen.add(reader.id)
            step = _step(ctx, reader, p)
            if isinstance(step, Finding):
                found.append(step)
            else:
                todo += step
    return found


def _outer_readers(ctx: Context, t: TensorMeta) -> list[Call]:
    readers = [r for r in (ctx.index.get(i) for i in dict.fromkeys(ctx.index.readers(t.tid))) if r is not None]
    return [r for r in readers if not any(q.id != r.id and ctx.index.within(r.id, q.id) for q in readers)]


def _writes_into(c: Call, t: TensorMeta) -> bool:
    """`c` changes `t` in place (`t[i] = v`, `t.masked_fill_(…)`, `t.copy_(…)`)."""
    in_place = c.name in IN_PLACE_DUNDERS or (c.name.endswith("_") and not c.name.startswith("__"))
    return in_place and bool(c.inputs) and c.inputs[0].tid == t.tid


def _step(ctx: Context, c: Call, p: _Padded) -> list[_Padded] | Finding:
    """What `c` does with padded batch `p`: hand it on, reduce it over time, take its last step, or mask it."""
    if not c.outputs or not c.inputs or c.inputs[0].tid != p.t.tid:
        return []  # read as a second operand (a mask applied to something else, say): not followed
    if c.kind == CallKind.MODULE:
        return _module(c, p)
    op = op_stem(c.name)
    if c.name in _KEEP_OPS or op in _ACTIVATIONS:
        return _activated(c, p, op)
    if op in _COUNTING | _SUMMING | _MAXING | _MINING and len(c.inputs) == 1:
        return _reduced(ctx, c, p, op)
    if c.name == GETITEM:
        return _last_step(ctx, c, p)
    if c.name in MASKING_OPS or op in ("masked_fill", "where"):
        return []  # masked: the code handles the padding
    if c.name in ELEMENTWISE_OPS or op in ELEMENTWISE_OPS:
        return _combined(c, p)
    dims = mapped(c, p.t, p.dims)
    return [replace(p, t=c.outputs[0], dims=dims)] if dims is not None and 1 in dims else []


def _module(c: Call, p: _Padded) -> list[_Padded]:
    """Dropout hands the batch on; a recurrent layer runs over the padding (its states there are no zeros);
    a per-position layer (Linear, LayerNorm) keeps the steps and loses the padding's value."""
    out = c.outputs[0]
    if c.type in _KEEP_MODULES:
        return [replace(p, t=out)]
    if c.type in RECURRENT_MODULES and c.config is not None and not c.config.cell:
        layout = recurrent_layout(c)
        if layout is None or len(p.t.shape) != 3 or p.dims[layout.index("T")] != 1:
            return []
        return [replace(p, t=out, dims=(*p.dims[:2], None), fill=None, non_negative=False, rnn=c)]
    batch, time = p.dims.index(0), p.dims.index(1)
    kept = len(out.shape) == len(p.t.shape) and all(out.shape[d] == p.t.shape[d] for d in (batch, time))
    if c.params and kept and time < len(out.shape) - 1:
        return [replace(p, t=out, fill=None, non_negative=False)]
    return []


def _activated(c: Call, p: _Padded, op: str) -> list[_Padded]:
    """An op that keeps every position: the padding's value goes through it too."""
    if c.outputs[0].shape != p.t.shape:
        return []
    if op not in _ACTIVATIONS:
        return [replace(p, t=c.outputs[0])]
    fill = _ACTIVATIONS[op](p.fill) if p.fill is not None else None
    return [replace(p, t=c.outputs[0], fill=fill, non_negative=op in _NON_NEGATIVE)]


def _combined(c: Call, p: _Padded) -> list[_Padded]:
    """An elementwise op with another tensor: one that spans batch and time is a mask (or weights per step)
    and ends the search; anything else (a scale, a bias, positions) goes on, the padding's value unknown."""
    out = c.outputs[0]
    pad = len(out.shape) - len(p.t.shape)
    if pad < 0:
        return []
    dims: Dims = (None,) * pad + p.dims
    batch, time = dims.index(0), dims.index(1)
    for other in c.inputs[1:]:
        shift = len(out.shape) - len(other.shape)
        sizes = [other.shape[d - shift] if d >= shift else 1 for d in (batch, time)]
        if sizes == [out.shape[batch], out.shape[time]] and out.shape[time] > 1:
            return []
    scaled = len(c.inputs) == 1 and op_stem(c.name) in ("mul", "rmul", "div", "truediv") and p.fill == 0.0
    return [replace(p, t=out, dims=dims, fill=p.fill if scaled else None)]


# ---------------------------------------------------------------------------------------------
# the findings
# ---------------------------------------------------------------------------------------------


def _counts_padding(op: str, p: _Padded) -> bool:
    if op in _COUNTING:
        return True
    if op in _SUMMING:
        return p.fill != 0.0
    if op in _MAXING:
        return p.fill is None or not (p.fill <= -1e4 or (p.non_negative and p.fill <= 0))
    return p.fill is None or p.fill < 1e4


def _reduced(ctx: Context, c: Call, p: _Padded, op: str) -> list[_Padded] | Finding:
    rank = len(p.t.shape)
    dims = reduced_dims(c, rank)
    time = p.dims.index(1)
    if dims is None or time not in dims or p.t.shape[time] < 2 or not _counts_padding(op, p):
        return []
    return _reduction_finding(ctx, c, p, op, time)


def _origin(p: _Padded) -> str:
    s = p.source
    where = f" (line {s.source.line})" if s.source else ""
    via = f", run through {p.rnn.type} '{p.rnn.name}'" if p.rnn is not None else ""
    return f"{op_of(s) if s.kind != CallKind.MODULE else f'{s.type} {s.name!r}'}{where}{via}"


_VERBS = {"count": "counts the padded steps", "sum": "adds the padded steps", "pick": "lets the padding win"}


def _kind(op: str) -> str:
    return "count" if op in _COUNTING else "sum" if op in _SUMMING else "pick"


def _reduction_finding(ctx: Context, c: Call, p: _Padded, op: str, time: int) -> Finding:
    steps = p.t.shape[time]
    fill = "padding" if p.fill is None else f"padding ({p.fill:g})"
    why = {
        **dict.fromkeys(
            _COUNTING,
            f"{op} divides every sequence by all {steps} steps, so a short sequence is "
            f"averaged with its {fill}: padding is read as data",
        ),
        **dict.fromkeys(_SUMMING, f"the padded steps are not zero here, so the sum adds {fill} to short sequences"),
        **dict.fromkeys(
            _MAXING,
            f"the {fill} after each sequence takes part in the max: a feature whose real "
            "values are all below it becomes the padding value",
        ),
        **dict.fromkeys(_MINING, f"the {fill} after each sequence takes part in the min"),
    }[op]
    return finding(
        Severity.WARNING,
        FindingCode.PADDING_READ,
        f"{op} over the time axis of a padded batch {_VERBS[_kind(op)]}",
        c.source,
        f"{op}(dim={time}) of {shape_text(p.t.shape)} from {_origin(p)}: {p.lengths}; no mask of the lengths "
        "multiplies it before",
        why,
        _fix(op, p),
        [c.id, p.source.id],
    )


def _fix(op: str, p: _Padded) -> str:
    mask = (
        "keep = (tokens != padding_idx).unsqueeze(-1)"
        if p.source.type == "Embedding"
        else "keep = (torch.arange(T)[None, :] < lengths[:, None]).unsqueeze(-1)"
    )
    if op in _MAXING:
        return (
            f"fill the padding with -inf before the max ({mask}; x.masked_fill(~keep, float('-inf'))), or pool "
            "each sequence up to its length"
        )
    return f"mask the padding and divide by the lengths: {mask}; (x * keep).sum(dim) / keep.sum(dim)"


def _last_step(ctx: Context, c: Call, p: _Padded) -> list[_Padded] | Finding:
    """`out[:, -1]` of a recurrent layer run over padded embeddings (no packing): the last step is padding
    for every shorter sequence (for right padding)."""
    time = p.dims.index(1)
    rnn = p.rnn
    picks = dict(index_positions(c))
    if rnn is None or p.source.type != "Embedding" or picks.get(time, "").strip() != "-1":
        return []
    if rnn.config is not None and rnn.config.bidirectional:
        return []  # layout.padding_read already reports the last step of a bidirectional output
    unread = _unread_lengths(ctx)
    return finding(
        Severity.WARNING if unread else Severity.NOTE,
        FindingCode.PADDING_READ,
        f"the last step of {rnn.type} '{rnn.name}' run over padded tokens is padding for shorter sequences",
        c.source,
        f"{shape_text(p.t.shape)}[{', '.join(t for _, t in sorted(picks.items()))}] takes step "
        f"{p.t.shape[time]} of every sequence; {p.lengths}, and the {rnn.type} was not given packed sequences"
        + (f"; the forward pass never reads its input '{unread}'" if unread else ""),
        f"with padding at the end, the {rnn.type} reads the padding tokens after each shorter sequence before "
        "the last step, so that state summarises padding",
        f"pack the batch (pack_padded_sequence with the lengths) and use h_n, or take each sequence's last real "
        f"step: out[torch.arange(B), {unread or 'lengths'} - 1]",
        [c.id, rnn.id, p.source.id],
    )


def _unread_lengths(ctx: Context) -> str | None:
    """The name of a model input that looks like lengths or a mask and that nothing reads."""
    root = ctx.trace.calls[0] if ctx.trace.calls else None
    for t in ctx.trace.inputs:
        name = named_path(t.path, root.arg_names if root else ())
        readers = [r for r in ctx.index.readers(t.tid) if root is None or r != root.id]
        if re.search(r"len|mask", name, re.I) and not readers:
            return name
    return None


RULES = (padding_reduction,)
