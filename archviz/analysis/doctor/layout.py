"""Rules 2 and 3: batch and time confused; padding (or a reverse direction's first step) read as data."""

from __future__ import annotations

import re

from ...kinds import RECURRENT_MODULES, CallKind, FindingCode, Severity
from ...record import Call, Finding, Source, TensorMeta, shape_text
from ..claims import RANK, Claim, Evidence
from .context import (
    Context,
    constructor_line,
    desc,
    finding,
    index_positions,
    is_int,
    layout_of,
    op_of,
    through,
    user_op,
)


def batch_time(ctx: Context) -> list[Finding]:
    """Find batch and time confused: a sequence module told the wrong layout, one sample taken where a
    step was meant, an output without its batch axis."""
    conflicts = _layout_conflicts(ctx)
    # where the layout and the evidence disagree, the module may be right and the indexing wrong (or the
    # reverse): the shapes cannot tell, so an index along the module's own batch axis is said too
    blamed = {cid for f in conflicts for cid in f.calls}
    found = conflicts + _sample_picks(ctx, blamed)
    if not found:  # either finding above already explains an output that lost its batch axis
        found = _batchless_outputs(ctx)
    return found


# (a) a sequence module (an RNN, attention, a transformer layer) told one layout, the evidence another


def _layout_conflicts(ctx: Context) -> list[Finding]:
    """Report every sequence module whose documented layout names an axis B where stronger or independent
    evidence names it T, or the reverse: `batch_first` is the setting that decides it."""
    if ctx.axes is None:
        return []
    found: dict[str, tuple[Evidence, Evidence]] = {}
    for _group, a, b in ctx.axes.conflicts:
        for mine, theirs in ((a, b), (b, a)):
            if _blames(ctx, mine, theirs):
                found.setdefault(mine.call, (mine, theirs))
    # a transformer, its layers and the attention inside them make the same claim: blame one, the module
    # the user built that takes batch_first (a layer, not the stack around it)
    ranked = sorted(found, key=lambda cid: (_built(ctx, cid) is None, _type(ctx, cid) not in _BATCH_FIRST))
    return [_layout_conflict(ctx, *found[ranked[0]])] if ranked else []


_BATCH_FIRST = frozenset(
    "LSTM GRU RNN MultiheadAttention TransformerEncoderLayer TransformerDecoderLayer Transformer".split()
)


def _type(ctx: Context, cid: str) -> str:
    return ctx.index.calls.call(cid).type


def _built(ctx: Context, cid: str) -> Source | None:
    """The line of the user's code that built this module (`self.lstm = nn.LSTM(…)`, or `nn.LSTM(` alone)."""
    c = ctx.index.calls.call(cid)
    return constructor_line(ctx, c.name) or ctx.facts.line_of(rf"\b(?:nn\.)?{re.escape(c.type)}\(")


def _blames(ctx: Context, mine: Evidence, theirs: Evidence) -> bool:
    """`mine` is a sequence module's claim, `theirs` says B where it says T (or the reverse) and is not
    weaker than a layout: the user's names, a loop, the outputs, or a module with no batch_first to set."""
    if mine.claim != Claim.LAYOUT or not _is_sequence_claim(ctx, mine) or {mine.name, theirs.name} != {"B", "T"}:
        return False
    if RANK[theirs.claim] > RANK[Claim.LAYOUT]:
        return False  # token ids are [B, T] by convention only: too weak to call a module wrong
    return not (theirs.claim == Claim.LAYOUT and _is_sequence_claim(ctx, theirs))


def _layout_conflict(ctx: Context, mine: Evidence, theirs: Evidence) -> Finding:
    """Report a sequence module (`mine`) that reads an axis as another name than `theirs` gives it."""
    c = ctx.index.calls.call(mine.call)
    first = bool(c.layouts and c.layouts[0][:1] == ("B",))  # its batch_first as built
    reads = "dim 0 as the batch and dim 1 as time" if first else "dim 0 as time and dim 1 as the batch"
    return finding(
        Severity.WARNING,
        FindingCode.LAYOUT,
        f"{c.type} '{c.name}' reads the {_axis_word(theirs.name)} axis as {_axis_word(mine.name)}",
        _built(ctx, c.id) or c.source,
        f"{mine.text}; but {theirs.text}",
        f"with batch_first={first}, {c.type} reads {reads}, but the rest of the model uses them the other way: "
        "it runs along the batch as if it were a sequence, so the samples are mixed and each time step is taken "
        "for a separate sample, with no error",
        f"build it with batch_first={not first} (or transpose its input); if its layout is what you meant, the code "
        "that reads its output uses the axes the other way (see the finding there)",
        [c.id],
    )


# (b) one position taken along the batch axis of a recurrent output


def _sample_picks(ctx: Context, blamed: set[str]) -> list[Finding]:
    """Report every integer index of the user's code that picks one position along a batch axis (the
    batch axis of the module that made the tensor, for a module in `blamed`)."""
    found = []
    for c in ctx.trace.calls:
        if op_of(c) == "__getitem__" and c.inputs and user_op(ctx, c):
            found += _sample_pick(ctx, c, blamed)
    return found


def _sample_pick(ctx: Context, c: Call, blamed: set[str]) -> list[Finding]:
    """Report each integer position of indexing call `c` that falls on the batch axis."""
    src = c.inputs[0]
    rnn = through(ctx, src, frozenset(RECURRENT_MODULES) | {"pad_packed_sequence"}, steps=2)
    layout = layout_of(ctx, rnn) if rnn is not None else None
    sequence = rnn is not None and rnn.outputs and src.tid == rnn.outputs[0].tid  # not h_n
    own = sequence and rnn is not None and rnn.id in blamed and layout is not None
    found = []
    for dim, text in index_positions(c):
        if not is_int(text) or dim >= len(src.shape):
            continue
        axis = layout[dim] if own and layout is not None and dim < len(layout) else None
        if (axis or _index_axis(ctx, c, dim, layout if sequence else None)) == "B":
            found.append(_sample_finding(ctx, c, (dim, text), rnn, layout))
    return found


def _index_axis(ctx: Context, c: Call, dim: int, layout: tuple[str, ...] | None) -> str | None:
    """Name dim `dim` of the tensor `c` indexes: by provenance, else by the layout of the sequence it is."""
    # the layout speaks only where provenance is silent: a size it traced back and left unnamed stays so
    fallback = layout[dim] if layout and dim < len(layout) and ctx.origin(c.id, "in", 0, dim) is None else None
    return ctx.axis_of(c.id, "in", 0, dim) or fallback


def _sample_finding(
    ctx: Context, c: Call, position: tuple[int, str], rnn: Call | None, layout: tuple[str, ...] | None
) -> Finding:
    """Report index `text` at `dim` of `c`'s input (the batch axis) as one sample taken, not one step."""
    dim, text = position
    src = c.inputs[0]
    t_dim = layout.index("T") if layout and "T" in layout else None
    return finding(
        Severity.WARNING,
        FindingCode.BATCH_TIME,
        f"[{text}] along the batch axis of {desc(rnn) if rnn else 'a batch'}: one sample, not one step",
        c.source,
        f"{shape_text(src.shape)} indexed at dim {dim} (B) gives "
        f"{shape_text(c.outputs[0].shape) if c.outputs else '?'}{_returned(ctx)}",
        f"this takes the last (or one) sample of the batch from every time step; the last time step is at dim {t_dim}"
        if t_dim is not None
        else "this takes a single sample out of the batch",
        f"index dim {t_dim} instead (out[-1] for sequence-first, out[:, -1] for batch-first), or use h_n[-1]"
        if t_dim is not None
        else "index the time axis instead",
        [c.id] + ([rnn.id] if rnn else []),
    )


# (c) an output with no batch axis while the inputs have one


def _batchless_outputs(ctx: Context) -> list[Finding]:
    """Report every model output that has a time axis but no batch axis, when the model has one."""
    if ctx.axes is None or ctx.prov is None or not ctx.trace.calls or "B" not in ctx.axes.names.values():
        return []
    root = ctx.trace.calls[0].id
    return [_batchless_finding(ctx, t) for i, t in enumerate(ctx.trace.outputs) if _lost_batch(ctx, root, i, t)]


def _lost_batch(ctx: Context, root: str, i: int, t: TensorMeta) -> bool:
    """Tell whether model output `i` (`t`) has two dims or more, one named T and none named B."""
    if len(t.shape) < 2:
        return False
    named = [ctx.axis_of(root, "out", i, d) for d in range(len(t.shape))]
    return "T" in named and "B" not in named


def _batchless_finding(ctx: Context, t: TensorMeta) -> Finding:
    """Report model output `t` as leading with the sequence where per-sample results lead with the batch."""
    maker = ctx.index.made_by(t, inner=True)
    return finding(
        Severity.WARNING,
        FindingCode.BATCH_AXIS,
        f"the output {shape_text(t.shape)} has a time axis but no batch axis",
        maker.source if maker else None,
        f"output {t.path} {shape_text(t.shape)}: no dim follows B",
        "per-sample results lead with the batch; this output's leading axis follows the sequence length",
        "check which axis was indexed or reduced on the way to the output",
        [maker.id] if maker else [],
    )


def _returned(ctx: Context) -> str:
    """`; the model returns [8, 5] (T, 5) where per-sample results would be [3, 5]` when an output leads
    with the time axis and has no batch axis; else nothing."""
    root = ctx.trace.calls[0].id if ctx.trace.calls else None
    sizes = {
        n: e.size
        for e in (ctx.prov.groups if ctx.prov else ())
        for g, n in (ctx.axes.names.items() if ctx.axes else ())
        if g == e.group
    }
    for i, t in enumerate(ctx.trace.outputs):
        if root is None or not t.shape or "B" not in sizes:
            continue
        named = [ctx.axis_of(root, "out", i, d) for d in range(len(t.shape))]
        if named[0] == "T" and "B" not in named:
            shown = ", ".join(n or str(size) for n, size in zip(named, t.shape, strict=True))
            rest = ", ".join(map(str, t.shape[1:]))
            per_sample = f"[{sizes['B']}, {rest}]"
            return f"; the model returns {shape_text(t.shape)} ({shown}) where per-sample results would be {per_sample}"
    return ""


def _axis_word(name: str) -> str:
    return {"B": "batch", "T": "time"}.get(name, name)


def _is_sequence_claim(ctx: Context, ev: Evidence) -> bool:
    """The claim comes from a module whose layout batch_first sets (an RNN, attention, a transformer layer):
    its first input's documented layout names both B and T."""
    c = ctx.index.get(ev.call)
    if c is None or c.kind != CallKind.MODULE or not c.layouts:
        return False
    return "B" in c.layouts[0] and "T" in c.layouts[0] and (c.config is None or not c.config.cell)


# ---------------------------------------------------------------------------------------------
# 3. padding read as data
# ---------------------------------------------------------------------------------------------


def _padded_unequal(ctx: Context, pad: Call) -> bool | None:
    """Whether the packed sequence behind `pad_packed_sequence` had unequal lengths (None: unknown)."""
    for c in ctx.trace.calls:
        if c.name == "pack_padded_sequence" and c.inputs and c.outputs:
            data = next((t for t in c.outputs if t.path.endswith("data") or t.path.endswith("[0]")), c.outputs[0])
            padded = c.inputs[0].shape
            if len(padded) >= 2:
                return data.shape[0] < padded[0] * padded[1]
    return None


def padding_read(ctx: Context) -> list[Finding]:
    """Report the last position of a padded batch, or of a bidirectional output, read as each sequence's end."""
    found = []
    for c in ctx.trace.calls:
        if op_of(c) != "__getitem__" or not c.inputs or not user_op(ctx, c):
            continue
        src = c.inputs[0]
        pad = through(ctx, src, frozenset({"pad_packed_sequence"}), steps=2)
        rnn = through(ctx, src, frozenset(RECURRENT_MODULES), steps=3)
        maker = pad or rnn
        layout = layout_of(ctx, maker) if maker is not None else None
        if layout is None:
            continue
        t_dim = layout.index("T")
        for dim, text in index_positions(c):
            f = _last_read(ctx, c, pad, rnn, text) if dim == t_dim and text.strip() == "-1" else None
            if f is not None:
                found.append(f)
                break
    return found


def _last_read(ctx: Context, c: Call, pad: Call | None, rnn: Call | None, text: str) -> Finding | None:
    """The finding for `c` reading position −1 along T of a padded or recurrent output, if that is wrong."""
    src = c.inputs[0]
    if pad is not None and _padded_unequal(ctx, pad):
        return finding(
            Severity.WARNING,
            FindingCode.PADDING_READ,
            "the last position of a padded batch is padding for shorter sequences",
            c.source,
            f"{shape_text(src.shape)}[{text}] along T after pad_packed_sequence, with lengths that differ",
            "pad_packed_sequence pads shorter sequences with zeros up to the longest; "
            "position −1 is the last real "
            "step only for the longest sequence",
            "use h_n[-1] from the recurrent module, or gather each sequence's last step with its length "
            "(out[lengths - 1, arange(B)])",
            [c.id, pad.id],
        )
    features = c.outputs[0].shape[-1] if c.outputs and c.outputs[0].shape else None
    if rnn is None or not rnn.config or not rnn.config.bidirectional or features != 2 * rnn.config.hidden_size:
        return None
    return finding(
        Severity.WARNING,
        FindingCode.PADDING_READ if pad is not None else FindingCode.BIDIRECTIONAL,
        f"the last step of bidirectional {rnn.type} '{rnn.name}' keeps its reverse half, which has seen one token",
        c.source,
        f"{shape_text(src.shape)}[{text}] along T keeps all {features} features (forward and reverse halves)",
        "the reverse direction starts at the last step: there it has read one token, so "
        "half of this summary "
        "ignores the sequence",
        "concatenate h_n[-2] and h_n[-1] (the last layer's two directions), or take the reverse half at step 0",
        [c.id, rnn.id],
    )


RULES = (batch_time, padding_read)
