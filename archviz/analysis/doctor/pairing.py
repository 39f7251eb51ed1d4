"""Rules on which axes meet: broadcasting that pairs an axis with itself, feature layers reading a
sequence's length, positions counted along the batch.

- broadcast: an elementwise op or loss never puts one input axis at two places of its result (`[B, 1]`
  minus `[B]` is `[B, B]`: every sample paired with every other).
- feature-axis: a feature layer (Linear, LayerNorm over the last dims, a norm's or conv's channels) never
  reads an axis that a conv walks along, or that the evidence names time or batch: it would work for one
  length only, and mix positions as if they were features.
- positions: a position table or an `arange` is never cut to the batch size: positions count along time.
"""

from __future__ import annotations

from ...kinds import ELEMENTWISE_OPS, GETITEM, CallKind, FindingCode, Severity, op_stem
from ...record import Call, Finding, shape_text
from ..claims import RANK, Claim
from ..provenance import IN, OUT
from .context import Context, finding, user_op

_LOSSES = frozenset({"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "kl_div"})
_MASKED = frozenset({"masked_select", "masked_fill"})
_LAST = frozenset({"Linear", "LazyLinear", "Bilinear"})
_NORMS = frozenset({"LayerNorm", "RMSNorm"})
_CHANNELS = frozenset(
    "BatchNorm1d BatchNorm2d BatchNorm3d InstanceNorm1d InstanceNorm2d GroupNorm Conv1d Conv2d Conv3d "
    "ConvTranspose1d ConvTranspose2d".split()
)
_SPATIAL = frozenset({"Conv1d", "Conv2d", "Conv3d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"})
_RANGES = frozenset({"arange", "range"})


def _group(ctx: Context, cid: str, side: str, i: int, d: int) -> str | None:
    o = ctx.origin(cid, side, i, d)
    return o.group if o is not None else None


def _label(ctx: Context, group: str) -> str:
    return ctx.axes.label(group) if ctx.axes is not None else group


# ---- broadcast -----------------------------------------------------------------------------------


def broadcast(ctx: Context) -> list[Finding]:
    """Report every elementwise op or loss whose broadcast puts one input axis at two places."""
    if ctx.prov is None:
        return []
    found = []
    for c in ctx.trace.calls:
        stem = op_stem(c.name)
        if c.kind == CallKind.OP and (c.name in ELEMENTWISE_OPS or stem in _LOSSES or stem in _MASKED):
            twice = _axis_twice(ctx, c)
            if twice is not None:
                found.append(_broadcast(ctx, c, *twice))
    return found


def _axis_twice(ctx: Context, c: Call) -> tuple[str, tuple[int, ...]] | None:
    """(axis, its places) when the lower-rank operand's batch lands on a size-1 dim of the other while the
    other has its own batch elsewhere: `[B, 1] − [B]` pairs every sample of one with every sample of the
    other. Operands of one rank (`a[:, None] − b[None]`, a deliberate all-pairs) are left alone."""
    tensors = [t for t in c.inputs if t.shape]
    if len(tensors) != 2 or len(tensors[0].shape) == len(tensors[1].shape):
        return None
    hi, lo = sorted(range(2), key=lambda k: -len(tensors[k].shape))
    high, low = tensors[hi].shape, tensors[lo].shape
    shift = len(high) - len(low)
    batch = _batch_like(ctx)
    theirs = [q for q in range(len(high)) if high[q] > 1 and _group(ctx, c.id, IN, hi, q) in batch]
    for d, n in enumerate(low):
        g = _group(ctx, c.id, IN, lo, d)
        if g in batch and n > 1 and high[shift + d] == 1 and theirs and g is not None:
            return g, (theirs[0], shift + d)
    return None


def _batch_like(ctx: Context) -> set[str]:
    """Input axes that can be a batch: those leading an input (dim 0), and the one named B."""
    assert ctx.prov is not None
    found = {e.group for e in ctx.prov.groups if any(d == 0 for _, d in e.members)}
    if ctx.axes is not None:
        found |= {g for g, n in ctx.axes.names.items() if n == "B"}
    return found


def _broadcast(ctx: Context, c: Call, group: str, where: tuple[int, ...]) -> Finding:
    axis = _label(ctx, group)
    shapes = " and ".join(shape_text(t.shape) for t in c.inputs if t.shape)
    axis = "B" if ctx.axes is not None and ctx.axes.names.get(group) == "B" else f"the batch ({axis})"
    made = "; ".join(dict.fromkeys(_made_at(m) for m in (ctx.index.made_by(t) for t in c.inputs) if _made_at(m)))
    return finding(
        Severity.WARNING,
        FindingCode.BROADCAST,
        f"{op_stem(c.name)} broadcasts {shapes} to {axis} × {axis}",
        c.source,
        f"{op_stem(c.name)} of {shapes}: one operand's batch sits at dim {where[0]}, the other's lands on a size-1 "
        f"dim at {where[1]}" + (f" ({made})" if made else ""),
        f"broadcasting lines the shapes up from the right, so the two {axis} axes do not meet: the result pairs every "
        f"{axis} position of one with every position of the other ({axis} × {axis}) instead of element by element",
        "give both the same shape first (squeeze the size-1 axis, or unsqueeze the other at the same place)",
        [c.id],
    )


def _made_at(m: Call | None) -> str:
    """`[6, 1] made at line 20`, or '' when unknown."""
    if m is None or m.source is None or not m.outputs:
        return ""
    return f"{shape_text(m.outputs[0].shape)} made at line {m.source.line}"


# ---- feature-axis --------------------------------------------------------------------------------


def feature_axis(ctx: Context) -> list[Finding]:
    """Report every feature layer that reads, as features, an axis a conv walks along or that the
    evidence names time or batch."""
    if ctx.prov is None or ctx.axes is None:
        return []
    walked = _walked(ctx)
    found: list[Finding] = []
    for c in ctx.trace.calls:
        if c.kind != CallKind.MODULE or not c.inputs or not c.inputs[0].shape:
            continue
        for d in _feature_dims(c):
            g = _group(ctx, c.id, IN, 0, d)
            why = _not_features(ctx, g, walked) if g is not None else None
            if why is not None and g is not None:
                found.append(_feature(ctx, c, d, g, why))
                break
    return found


def _feature_dims(c: Call) -> list[int]:
    """The dims a layer reads as its features: the last (Linear), the normalised ones, the channels."""
    rank = len(c.inputs[0].shape)
    if c.type in _LAST:
        return [rank - 1]
    if c.type in _NORMS:
        shaped = [p.shape for p in c.param_list if p.name == "weight"]
        return list(range(rank - len(shaped[0]), rank)) if shaped else [rank - 1]
    if c.type in _CHANNELS and rank >= 3:
        return [1]
    return []


def _walked(ctx: Context) -> dict[str, str]:
    """Axis -> what walks along it: a conv or pooling's spatial dims (time or length, never features)."""
    found: dict[str, str] = {}
    for c in ctx.trace.calls:
        if c.kind == CallKind.MODULE and c.type in _SPATIAL and c.inputs:
            for d in range(2, len(c.inputs[0].shape)):
                g = _group(ctx, c.id, IN, 0, d)
                if g is not None:
                    found.setdefault(g, f"{c.type} '{c.name}' slides along it (dim {d} of its input)")
    return found


def _not_features(ctx: Context, group: str, walked: dict[str, str]) -> str | None:
    """Why `group` is no feature axis (a conv walks along it; the evidence names it T or B), or None."""
    if group in walked:
        return walked[group]
    assert ctx.axes is not None
    for ev in ctx.axes.evidence.get(group, ()):
        if ev.name in ("T", "B") and RANK[ev.claim] <= RANK[Claim.LAYOUT]:
            return ev.text
    return None


def _feature(ctx: Context, c: Call, d: int, group: str, why: str) -> Finding:
    axis = _label(ctx, group)
    return finding(
        Severity.WARNING,
        FindingCode.FEATURE_AXIS,
        f"{c.type} '{c.name}' reads {axis} as its features",
        c.source,
        f"{c.type} '{c.name}' takes dim {d} of {shape_text(c.inputs[0].shape)} as features, and dim {d} is {axis}: "
        f"{why}",
        f"a feature layer mixes (or normalises across) the values of one position; over {axis} it mixes positions "
        f"instead, and it is built for one size of {axis}, so any other length fails",
        "move the feature axis into place first (transpose/permute), or build the layer for the real features",
        [c.id],
    )


# ---- positions -----------------------------------------------------------------------------------


def positions(ctx: Context) -> list[Finding]:
    """Report positions counted along the batch: an `arange` or a slice of a parameter or buffer (a position
    table) whose length is the batch size."""
    if ctx.prov is None or ctx.axes is None:
        return []
    found = []
    for c in ctx.trace.calls:
        if c.kind != CallKind.OP or not c.outputs or not c.outputs[0].shape or not user_op(ctx, c):
            continue  # (inside pack_padded_sequence and the like, torch counts along the batch on purpose)
        if (op_stem(c.name) in _RANGES and _embedded(ctx, c)) or (c.name == GETITEM and _table(c)):
            d = _batch_dim(ctx, c)
            if d is not None:
                found.append(_positions(ctx, c, d))
    return found


def _embedded(ctx: Context, c: Call, steps: int = 4) -> bool:
    """The range's values are looked up in an embedding (position ids), not used as indices into the batch
    (`out[torch.arange(B), lengths - 1]` picks each sample's last step: right)."""
    todo, seen = [c.id], 0
    while todo and seen < steps * 4:
        cid = todo.pop()
        seen += 1
        for reader in ctx.index.calls.readers(cid):
            if reader.type == "Embedding" or op_stem(reader.name) == "embedding":
                return True
            if reader.kind == CallKind.OP and op_stem(reader.name) in _PASS_ON:
                todo.append(reader.id)
    return False


_PASS_ON = frozenset({"unsqueeze", "expand", "view", "reshape", "repeat", "to", "long", "expand_as", "add", "radd"})


def _table(c: Call) -> bool:
    """A slice of a tensor nothing in the pass made: a parameter or buffer (a position table), cut by
    ranges alone (`pe[:n]`, `pos[:, :n]`), not gathered by an index tensor (`weight[position_ids]`)."""
    if len(c.inputs) != 1 or c.inputs[0].producer is not None or not c.outputs:
        return False
    return len(c.inputs[0].shape) >= 2 and len(c.outputs[0].shape) == len(c.inputs[0].shape)


def _batch_dim(ctx: Context, c: Call) -> int | None:
    """The output dim of `c` whose size is the axis named B, if any."""
    assert ctx.axes is not None
    for d in range(len(c.outputs[0].shape)):
        g = _group(ctx, c.id, OUT, 0, d)
        if g is not None and ctx.axes.names.get(g) == "B" and c.outputs[0].shape[d] > 1:
            return d
    return None


def _positions(ctx: Context, c: Call, d: int) -> Finding:
    made = "arange" if op_stem(c.name) in _RANGES else "the table's slice"
    return finding(
        Severity.WARNING,
        FindingCode.POSITIONS,
        f"positions counted along the batch: {made} has B rows",
        c.source,
        f"{op_stem(c.name)} gives {shape_text(c.outputs[0].shape)}, whose dim {d} is the batch size B",
        "positions number the steps of a sequence; counted to B they give each *sample* its own position vector and "
        "every step of one sample the same one",
        "take the length from the time axis (x.size(1) for batch-first, x.size(0) for sequence-first)",
        [c.id],
    )


RULES = (broadcast, feature_axis, positions)
