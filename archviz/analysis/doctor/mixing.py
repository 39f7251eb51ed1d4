"""batch-mix: a normalisation or statistic taken across the samples of a batch.

The samples of a batch are independent: what the model computes for one must not depend on the others
(or on how many there are). So no softmax, L2 normalisation or per-sample statistic may run over the
batch axis — the axis the evidence names B (`analysis.axes`: the user, a sequence module's layout, the
axis every output keeps, the batch-first convention). The rule reports

- a softmax, log_softmax or `F.normalize` over B (an `nn.Softmax` module's dim is read off the
  expression that built it; given no dim, torch's softmax picks dim 0 of a 3-D input);
- a reduction over B (mean, var, std, norm, …) whose result meets a tensor that still has B again:
  a per-sample value scaled or shifted by a statistic of the whole batch.

Left alone: a tensor that has B twice (`z @ z.T`, similarities of every sample with every other: a
contrastive softmax over one of them is the point), and models that return a scalar (a loss, which
reduces over the batch by definition).
"""

from __future__ import annotations

from ...kinds import REDUCE_OPS, CallKind, FindingCode, Severity
from ...record import Call, Finding, Source, TensorMeta
from .context import Context, arg, dim_arg, finding, user_op
from .sites import argument, built, literal_int

_SOFTMAX_OPS = frozenset({"softmax", "log_softmax"})
_NORMALISING_OPS = _SOFTMAX_OPS | {"normalize"}
_NORMALISING_MODULES = frozenset({"Softmax", "LogSoftmax", "Softmin"})


def batch_mix(ctx: Context) -> list[Finding]:
    """Report every normalisation over the batch axis, and every batch statistic applied per sample."""
    if ctx.axes is None or ctx.prov is None or any(not t.shape for t in ctx.trace.outputs):
        return []  # axes unknown, or the model returns a loss (reducing over the batch is its job)
    sites: dict[tuple[str, int], list[tuple[Call, int]]] = {}
    where: dict[tuple[str, int], Source] = {}
    for c in ctx.trace.calls:
        d = _mixed_dim(ctx, c)
        at = _site(ctx, c) if d is not None else None
        if d is not None and at is not None:
            sites.setdefault((at.file, at.line), []).append((c, d))
            where.setdefault((at.file, at.line), at)
    return [_finding(ctx, where[k], calls) for k, calls in sites.items()]


def _mixed_dim(ctx: Context, c: Call) -> int | None:
    """The dim of `c`'s input that is B, when `c` normalises over it or reduces it into per-sample values."""
    rank = len(c.inputs[0].shape) if c.inputs else 0
    d = _dim(ctx, c, rank) if rank else None
    if d is None or not 0 <= d < rank or ctx.axis_of(c.id, "in", 0, d) != "B" or _batch_twice(ctx, c, d):
        return None
    if c.kind == CallKind.OP and c.name in REDUCE_OPS:
        return d if any(ctx.index.used(t) for t in c.outputs) and _mixes_back(ctx, c) else None
    return d


def _dim(ctx: Context, c: Call, rank: int) -> int | None:
    """The dim a normalisation (a module, or an op in the user's code) or a reduction runs over."""
    if c.kind == CallKind.MODULE and c.type in _NORMALISING_MODULES:
        return _module_dim(ctx, c, rank)
    if c.kind != CallKind.OP or not user_op(ctx, c) or (c.name not in _NORMALISING_OPS and c.name not in REDUCE_OPS):
        return None
    if c.name in _SOFTMAX_OPS and arg(c, "kwargs['dim']", "args[1]") in (None, "None"):
        return _implicit_dim(rank)
    return dim_arg(c, rank)


def _module_dim(ctx: Context, c: Call, rank: int) -> int | None:
    """The dim an nn.Softmax-like module normalises: its `dim`, or torch's implicit choice when built
    without one (dim 0 for a 1-D or 3-D input, else dim 1)."""
    b = built(ctx, c)
    if b is None:
        return None
    given = argument(b.node, "dim", 0)
    if given is None:
        return _implicit_dim(rank)
    d = literal_int(given)
    return d % rank if d is not None else None


def _implicit_dim(rank: int) -> int:
    """The dim torch's softmax takes when given none (a deprecated, still silent choice): 0 for a 0-D, 1-D
    or 3-D input, else 1 (`torch.nn.functional._get_softmax_dim`)."""
    return 0 if rank in (0, 1, 3) else 1


def _batch_twice(ctx: Context, c: Call, d: int) -> bool:
    """The input has B at another dim as well: every sample against every sample (a similarity matrix)."""
    return any(ctx.axis_of(c.id, "in", 0, k) == "B" for k in range(len(c.inputs[0].shape)) if k != d)


def _site(ctx: Context, c: Call) -> Source | None:
    if c.source is not None:
        return c.source
    b = built(ctx, c) if c.kind == CallKind.MODULE else None
    return b.source if b is not None else None


def _mixes_back(ctx: Context, c: Call) -> bool:
    """The reduction's result (through a few ops on it alone: `+ eps`, `sqrt`) meets a tensor that still
    has the batch axis, and is not also written into a running statistic (a batch norm by hand: there the
    batch's statistic is the point)."""
    frontier, seen, meets = list(c.outputs), set(), False
    for _ in range(6):
        after = []
        for t in frontier:
            for reader_id in ctx.index.readers(t.tid):
                if reader_id in seen:
                    continue
                seen.add(reader_id)
                reader = ctx.index.calls.call(reader_id)
                if _writes(reader):
                    return False
                others = [(i, x) for i, x in enumerate(reader.inputs) if x.tid != t.tid]
                if any(ctx.axis_of(reader.id, "in", i, d) == "B" for i, x in others for d in range(len(x.shape))):
                    meets = True
                elif not others or all(not x.shape for _, x in others):
                    after += list(reader.outputs)
                elif _writes_later(ctx, reader):
                    return False
        frontier = after
    return meets


def _writes(c: Call) -> bool:
    """`c` writes into a tensor (`running_mean.mul_(m).add_(…)`, `buf.copy_(…)`, `buf[…] = …`)."""
    name = c.name
    return c.kind == CallKind.OP and (name == "__setitem__" or (name.endswith("_") and not name.startswith("__")))


def _writes_later(ctx: Context, c: Call) -> bool:
    """One of `c`'s outputs is written into a tensor by its reader (`running.mul_(0.9).add_(0.1 * mean)`)."""
    return any(_writes(ctx.index.calls.call(r)) for t in c.outputs for r in ctx.index.readers(t.tid))


def _named_shape(ctx: Context, c: Call, x: TensorMeta) -> str:
    """`[B=4, T=7, 12]`: the input's sizes with the names of the axes they are."""
    parts = []
    for d, n in enumerate(x.shape):
        name = ctx.axis_of(c.id, "in", 0, d)
        parts.append(f"{name}={n}" if name else str(n))
    return "[" + ", ".join(parts) + "]"


def _op(c: Call, d: int) -> str:
    if c.kind == CallKind.MODULE:
        return f"nn.{c.type}(dim={d})" + (f" '{c.name}'" if c.name else "")
    return f"{c.name}(dim={d})"


def _batch_evidence(ctx: Context, c: Call, d: int) -> str:
    """Why dim `d` of `c`'s input is the batch: the claim its name comes from."""
    o = ctx.origin(c.id, "in", 0, d)
    if o is None or o.group is None or ctx.axes is None:
        return ""
    ev = ctx.axes.evidence.get(o.group, ())
    return f" ({ev[0].text})" if ev else ""


def _finding(ctx: Context, at: Source, calls: list[tuple[Call, int]]) -> Finding:
    """One finding for every normalisation or statistic over B on one line."""
    c, d = calls[0]
    ops = " and ".join(dict.fromkeys(_op(k, e) for k, e in calls))
    shape = _named_shape(ctx, c, c.inputs[0])
    normalises = all(k.kind == CallKind.MODULE or k.name in _NORMALISING_OPS for k, _ in calls)
    if normalises:
        title = f"{ops} normalises over the batch axis B"
        why = (
            f"dim {d} of {shape} is B, the samples: each sample's values are divided by a sum over the whole batch, "
            "so its result depends on the other samples (and on the batch size), and nothing sums to one (or has "
            "unit length) per sample"
        )
        fix = "normalise over the sample's own axis (the classes or features: usually dim=-1, or dim=1)"
    else:
        title = f"{ops} over the batch axis B, applied per sample"
        why = (
            f"dim {d} of {shape} is B, the samples: the statistic is taken across the batch and then combined with "
            "each sample's own values, so a sample's result depends on the rest of its batch (and on the batch size)"
        )
        fix = "take the statistic over the sample's own axes (the features: dim=-1, keepdim=True)"
    return finding(
        Severity.WARNING,
        FindingCode.BATCH_MIX,
        title,
        at,
        f"{ops} on {shape}: dim {d} is B{_batch_evidence(ctx, c, d)}",
        why,
        fix,
        [k.id for k, _ in calls[:3]],
    )


RULES = (batch_mix,)
