"""General rules over provenance: invariants on axes that hold in every correct model, whatever its names.

Each rule reads where every size comes from (`Provenance`: a dim is exactly an input axis, or a form
of several) and the axes' names (`Axes`), and fires only when an invariant is broken in the real shapes:

- axes-scrambled: a view/reshape keeps each axis it passes through at the same stride (it only
  regroups neighbours); an axis whose stride changes was interleaved with another.
- batch-axis: per-sample outputs keep the batch axis once: not 2·B (a batch stacked on itself), not
  the sum of two inputs' batches, and not gone when the batch is 1 (`.squeeze()`).
- broadcast: an elementwise op or loss never puts one axis at two places (`[B, 1] − [B]` is `[B, B]`).
- feature-axis: a feature layer (Linear, LayerNorm, a norm's or conv's channels) never reads an axis that
  a sequence module or a conv walks along (time, length): it would work for one length only.
- positions: a position table or `arange` is never cut to the batch size.
"""

from __future__ import annotations

from math import prod

from ...kinds import REDUCE_OPS, CallKind, FindingCode, Severity, op_stem
from ...record import Call, Finding, TensorMeta, shape_text
from ..claims import Claim, Evidence
from ..provenance import IN, MODEL_OUTPUT, OUT, Origin
from .context import Context, dim_arg, finding

_RESHAPES = frozenset({"view", "reshape"})
_LOSSES = frozenset({"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "kl_div"})
_FEATURE_LAST = frozenset({"Linear", "LazyLinear", "LayerNorm", "RMSNorm", "Bilinear"})
_FEATURE_CHANNELS = frozenset(
    {"BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d", "GroupNorm", "Conv1d", "Conv2d", "Conv3d"}
)


def _group(ctx: Context, cid: str, side: str, i: int, d: int) -> str | None:
    """The input axis a dim is exactly (1·axis + 0), if any."""
    o = ctx.origin(cid, side, i, d)
    return o.group if o is not None else None


def _label(ctx: Context, group: str) -> str:
    return ctx.axes.label(group) if ctx.axes is not None else group


def _axes_text(ctx: Context, cid: str, side: str, i: int, t: TensorMeta) -> str:
    """`[B=4, 16, T=20]`: a shape with each dim that is an input axis named."""
    parts = []
    for d, n in enumerate(t.shape):
        g = _group(ctx, cid, side, i, d)
        parts.append(f"{_label(ctx, g)}={n}" if g is not None else str(n))
    return "[" + ", ".join(parts) + "]"


# ---- axes-scrambled ------------------------------------------------------------------------------


def axes_scrambled(ctx: Context) -> list[Finding]:
    """Report every view/reshape that moves an axis to another stride: axes interleaved, not regrouped."""
    if ctx.prov is None:
        return []
    found = []
    for c in ctx.trace.calls:
        if op_stem(c.name) in _RESHAPES and len(c.inputs) >= 1 and c.outputs and not c.bookkeeping:
            moved = _moved_axis(ctx, c)
            if moved is not None:
                found.append(_scrambled(ctx, c, *moved))
    return found


def _moved_axis(ctx: Context, c: Call) -> tuple[str, int, int] | None:
    """(axis, its stride before, after) for the first axis the reshape `c` moves, or None."""
    src, out = c.inputs[0].shape, c.outputs[0].shape
    where: dict[str, int | None] = {}
    for d, n in enumerate(src):
        g = _group(ctx, c.id, IN, 0, d)
        if g is not None and n > 1:
            where[g] = None if g in where else d  # an axis twice (a square mask) has no one place
    for j, n in enumerate(out):
        g = _group(ctx, c.id, OUT, 0, j)
        at = where.get(g) if g is not None else None
        if g is None or at is None or n <= 1:
            continue
        before, after = prod(src[at + 1 :]), prod(out[j + 1 :])
        if before != after:
            return g, before, after
    return None


def _scrambled(ctx: Context, c: Call, group: str, before: int, after: int) -> Finding:
    axis = _label(ctx, group)
    src = _axes_text(ctx, c.id, IN, 0, c.inputs[0])
    out = _axes_text(ctx, c.id, OUT, 0, c.outputs[0])
    return finding(
        Severity.WARNING,
        FindingCode.AXES_SCRAMBLED,
        f"{op_stem(c.name)} interleaves {axis} with other axes: {src} read as {out}",
        c.source,
        f"{op_stem(c.name)} of {src} to {out}: {axis} moved from stride {before} to stride {after}",
        f"{op_stem(c.name)} reads the elements in memory order and only merges or splits neighbouring axes; to "
        f"put {axis} elsewhere the data must move, so each new row mixes values of different {axis} positions",
        "reorder the axes first (transpose/permute, then .contiguous()), and view or reshape only to merge or split "
        "neighbours",
        [c.id],
    )


# ---- batch-axis ----------------------------------------------------------------------------------


def batch_axis(ctx: Context) -> list[Finding]:
    """Report outputs whose batch axis is stacked on itself or summed from two inputs, and ops that drop
    an axis only because its size is 1 in the traced pass."""
    if ctx.prov is None:
        return []
    return _stacked_batches(ctx) + _vanished_at_one(ctx) + _reduced_batches(ctx)


def _leading_groups(ctx: Context) -> set[str]:
    """Input axes that lead an input (dim 0): where a batch is, in every layout but sequence-first."""
    return {e.group for e in (ctx.prov.groups if ctx.prov else ()) if any(d == 0 for _, d in e.members)}


def _stacked_batches(ctx: Context) -> list[Finding]:
    """An output dim that is k·B (k ≥ 2) or a sum of several inputs' leading axes, made by one op."""
    leading = _leading_groups(ctx)
    found = []
    for i, t in enumerate(ctx.trace.outputs):
        for d in range(len(t.shape)):
            o = ctx.origin(MODEL_OUTPUT, OUT, i, d)
            if o is not None and _stacks(o, leading):
                maker = _first_making(ctx, o)
                if maker is not None:
                    found.append(_stacked(ctx, maker, o, t))
                break
    return found


def _stacks(o: Origin, leading: set[str]) -> bool:
    """k·B with k ≥ 2, or B1 + B2 + …: a batch stacked along itself."""
    if not o.exact or o.product or o.offset:
        return False
    groups = [g for g, _ in o.terms]
    if not groups or any(g not in leading for g in groups):
        return False
    return (len(groups) == 1 and o.terms[0][1] >= 2 and o.terms[0][1].denominator == 1) or (
        len(groups) >= 2 and all(c == 1 for _, c in o.terms)
    )


def _first_making(ctx: Context, o: Origin) -> Call | None:
    """The first call whose output has a dim of origin `o` while none of its inputs has (the op that made it)."""
    assert ctx.prov is not None
    has = {(cid, side) for (cid, side, _, _), x in ctx.prov.origins.items() if x == o}
    return next(
        (c for c in ctx.trace.calls if (c.id, OUT) in has and (c.id, IN) not in has and c.kind == CallKind.OP), None
    )


def _stacked(ctx: Context, maker: Call, o: Origin, out: TensorMeta) -> Finding:
    from ..axes import describe

    assert ctx.axes is not None
    form = describe(o, ctx.axes)
    return finding(
        Severity.WARNING,
        FindingCode.BATCH_AXIS,
        f"{op_stem(maker.name)} stacks along the batch: the output's first axis is {form}",
        maker.source,
        f"{op_stem(maker.name)} makes {shape_text(maker.outputs[0].shape)} with a dim of {form}; the model returns "
        f"{out.path} {shape_text(out.shape)}",
        "per-sample results have one row per sample; rows of two samples (or two inputs) stacked one after the other "
        "are treated downstream as more samples, not as one longer sample",
        "join along the axis meant (dim=1 for time, dim=-1 for features), or keep the inputs apart",
        [maker.id],
    )


def _vanished_at_one(ctx: Context) -> list[Finding]:
    """An op whose output loses a dim in the traced pass that it keeps when a size-1 input axis grows."""
    from ..provenance import match_calls

    assert ctx.prov is not None
    found: list[Finding] = []
    for exp in ctx.prov.groups:
        if exp.size != 1:
            continue
        for trial in exp.trials:
            if trial.trace is None:
                continue
            culprit = _first_rank_change(ctx, match_calls(ctx.trace, trial.trace), trial.trace)
            if culprit is not None:
                found.append(_vanished(ctx, culprit, exp.group, exp.size))
                break
    return found


def _first_rank_change(ctx: Context, matched: dict[str, str], other: object) -> Call | None:
    """The first op of the user's code whose inputs keep their rank in a grown run but whose output has
    one more dim there: a squeeze that removed the size-1 axis."""
    from ...record import Trace

    assert isinstance(other, Trace)
    for c in ctx.trace.calls:
        twin = other.index.get(matched.get(c.id))
        if twin is None or c.kind.value != "op" or not c.outputs or not twin.outputs:
            continue
        same_in = [len(t.shape) for t in c.inputs] == [len(t.shape) for t in twin.inputs]
        if same_in and len(twin.outputs[0].shape) == len(c.outputs[0].shape) + 1 and op_stem(c.name) == "squeeze":
            return c
    return None


def _vanished(ctx: Context, c: Call, group: str, size: int) -> Finding:
    axis = _label(ctx, group)
    return finding(
        Severity.WARNING,
        FindingCode.BATCH_AXIS,
        f"squeeze removes {axis} because it is {size} here: with {axis} = 2 it stays",
        c.source,
        f"{shape_text(c.inputs[0].shape)} squeezed to {shape_text(c.outputs[0].shape)}; grown to {axis} = {size + 1}, "
        "the same op keeps that axis",
        f"squeeze() without a dim drops every axis of size 1, so the result's rank depends on {axis}: "
        "a batch of one loses its batch axis (and later ops read the next axis as the batch)",
        "name the axis to drop (`.squeeze(-1)`, `.squeeze(0)` for a layer axis), or index it",
        [c.id],
    )


def _reduced_batches(ctx: Context) -> list[Finding]:
    """A mean/sum/max over an axis that a sequence module (an RNN, attention) reads as its batch, when the
    evidence names that axis otherwise: the samples are pooled together, and the output keeps time."""
    if ctx.axes is None:
        return []
    found = []
    for c in ctx.trace.calls:
        if c.kind != CallKind.OP or op_stem(c.name) not in REDUCE_OPS or not c.inputs or not c.outputs:
            continue
        d = dim_arg(c, len(c.inputs[0].shape))
        g = _group(ctx, c.id, IN, 0, d) if d is not None else None
        claim = _batch_claim(ctx, g) if g is not None and ctx.axes.names.get(g) != "B" else None
        if claim is not None and d is not None:
            found.append(_pooled_batch(ctx, c, d, claim))
    return found


def _batch_claim(ctx: Context, group: str) -> Evidence | None:
    """A module's documented layout that names `group` the batch."""
    assert ctx.axes is not None
    return next((ev for ev in ctx.axes.evidence.get(group, ()) if ev.claim == Claim.LAYOUT and ev.name == "B"), None)


def _pooled_batch(ctx: Context, c: Call, d: int, claim: Evidence) -> Finding:
    op = op_stem(c.name)
    return finding(
        Severity.WARNING,
        FindingCode.BATCH_AXIS,
        f"{op} over dim {d}, which is the batch for {ctx.index.calls.call(claim.call).name or 'a module'}",
        c.source,
        f"{op}(dim={d}) of {shape_text(c.inputs[0].shape)}: {claim.text}",
        f"the {op} pools the samples of the batch together, so each result mixes every sample and the output keeps "
        "the other axis (time) instead of the batch",
        "reduce over the time axis (dim 0 for sequence-first outputs), or build the module with batch_first=True",
        [c.id, claim.call],
    )


RULES = (axes_scrambled, batch_axis)
