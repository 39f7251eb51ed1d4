"""The text of the view: tensor lines in boxes, edge labels, index expressions, state-row notes."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.loops import Loop
from ..kinds import C_N_PATH, GETITEM, STATE_PATH, CallKind, Direction
from ..record import Call, TensorMeta, Trace, is_call_id, named_path, shape_text
from .graph import Edge

Names = dict[str, tuple[str, ...]]  # tensor id -> the axis name of each dim ('' for none), for `--dims`


def named_shape(shape: tuple[int, ...], names: tuple[str, ...] | None) -> str:
    """`[B=4, T=12, 64]` with axis names, `[4, 12, 64]` without."""
    if not names or len(names) != len(shape):
        return shape_text(shape)
    return "[" + ", ".join(f"{n}={d}" if n else str(d) for n, d in zip(names, shape, strict=True)) + "]"


def tensor_lines(metas: tuple[TensorMeta, ...], limit: int = 6, names: Names | None = None) -> tuple[str, ...]:
    """One line per tensor (`data [31, 16]`, `[4] int64`); identical lines are counted, not repeated."""
    counts: dict[str, int] = {}
    for t in metas:
        tail = t.path.rsplit(".", 1)[1] if "." in t.path else ""
        shape = named_shape(t.shape, names.get(t.tid) if names else None)
        line = (tail + " " if tail else "") + shape + ("" if t.dtype == "float32" else f" {t.dtype}")
        counts[line] = counts.get(line, 0) + 1
    lines = [line if n == 1 else f"{n} × {line}" for line, n in counts.items()]
    if len(lines) > limit:
        lines = [*lines[: limit - 1], f"+{len(lines) - limit + 1} more"]
    return tuple(lines)


def edge_label(
    src: str, dst: str, back: int, metas: list[TensorMeta], role: str = "", names: Names | None = None
) -> Edge:
    """The edge from `src` to `dst` carrying `metas`; `back` is the loop count of a recurrent edge and
    `role` what the tensors are to the receiver (`h(t−1)` into a recurrent cell)."""
    label = (role + " " if role else "") + "\n".join(tensor_lines(tuple(metas), limit=4, names=names))
    if back:
        label += f" ×{back}"
    return Edge(src, dst, label, back=bool(back), repeat=back or 1)


def index_text(c: Call) -> str:
    """`[:, 3]` for `x[:, 3]`, from the summarised index arguments."""
    parts = [a.summary for a in c.args if a.path.startswith("args[1]")]
    return "[" + ", ".join(parts) + "]" if parts else ""


def state_row(trace: Trace, c: Call) -> str | None:
    """`h_n[-2] = layer 1 forward` when an index picks one row of a recurrent module's final states."""
    if c.name != GETITEM or not c.inputs or not c.inputs[0].producer:
        return None
    src = c.inputs[0]
    if src.producer is None or not is_call_id(src.producer):
        return None
    owner = trace.call(src.producer)
    cfg = owner.config
    path = next((o.path for o in owner.outputs if o.tid == src.tid), "")
    index = next((a.summary for a in c.args if a.path == "args[1]"), "")
    if cfg is None or cfg.cell or not path.startswith(STATE_PATH) or not index.lstrip("-").isdigit():
        return None
    rows = cfg.num_layers * cfg.directions
    row = int(index) % rows
    which = "c_n" if path == C_N_PATH else "h_n"
    side = (Direction.FORWARD, Direction.REVERSE)[row % cfg.directions]
    return f"{which}[{index}] = layer {row // cfg.directions} {side}"


def name_range(first: str, last: str) -> str:
    """`layers.0–11` for layers.0 … layers.11: the first index that differs, as a range."""
    a, b = first.split("."), last.split(".")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return ".".join([*a[:i], f"{x}–{y}"]) if x.isdigit() and y.isdigit() else f"{first} … {last}"
    return first


def _params(
    trace: Trace, kids: dict[str | None, list[Call]], step: tuple[str, ...]
) -> tuple[int, dict[str, tuple[int, ...]]]:
    """A step's parameter count, and the shape of each parameter by its path inside the layer."""
    total = 0
    shapes: dict[str, tuple[int, ...]] = {}
    for cid in step:
        call = trace.call(cid)
        if call.kind != CallKind.MODULE:
            continue
        total += call.params
        root = call.name
        stack = [call]
        while stack:
            c = stack.pop()
            inner = c.name[len(root) :].lstrip(".") if c.name.startswith(root) else c.name
            shapes.update({(inner + "." if inner else "") + p.name: p.shape for p in c.param_list})
            stack.extend(k for k in kids.get(c.id, []) if k.kind == CallKind.MODULE)
    return total, shapes


def repeat_label(trace: Trace, lp: Loop, kids: dict[str | None, list[Call]]) -> str:
    """`layers.0–11 ×12 · 7,087,872 params each, 85,054,464 in all` (and which parameter shapes differ)."""
    head = f"{_layer_span(trace, lp)} ×{lp.count}{_through(trace, lp)}"
    counted = [_params(trace, kids, step) for step in lp.steps]
    total = sum(n for n, _ in counted)
    if not total:
        return head
    shapes = [s for _, s in counted]
    differ = _differing(shapes)
    if not differ:
        return f"{head} · {counted[0][0]:,} params each, {total:,} in all"
    return f"{head} · {total:,} params in all · {_odd_layers(trace, lp, shapes)} in {', '.join(differ[:3])}"


def _layer_span(trace: Trace, lp: Loop) -> str:
    """Name the repeated layers from the first module of the first step to the last of the last."""
    names = [trace.call(cid).name for cid in lp.steps[0] if trace.call(cid).kind == CallKind.MODULE]
    lasts = [trace.call(cid).name for cid in lp.steps[-1] if trace.call(cid).kind == CallKind.MODULE]
    return name_range(names[0], lasts[-1])


def _through(trace: Trace, lp: Loop) -> str:
    """Return ` · [2, 32, 768] → [2, 32, 768]`, into the first layer and out of the last; empty when unknown."""
    first = next((trace.call(cid) for cid in lp.steps[0] if trace.call(cid).inputs), None)
    last = next((trace.call(cid) for cid in reversed(lp.steps[-1]) if trace.call(cid).outputs), None)
    if first is None or last is None:
        return ""
    return f" · {shape_text(first.inputs[0].shape)} → {shape_text(last.outputs[0].shape)}"


def _differing(shapes: list[dict[str, tuple[int, ...]]]) -> list[str]:
    """Return the sorted paths of parameters whose shape differs between the first layer and another (or is absent)."""
    first, rest = shapes[0], shapes[1:]
    return sorted(
        {p for s in rest for p in s if s.get(p) != first.get(p)} | {p for p in first if any(p not in s for s in rest)}
    )


def _odd_layers(trace: Trace, lp: Loop, shapes: list[dict[str, tuple[int, ...]]]) -> str:
    """Return `layers.3, layers.7 differ`: up to three layers whose parameter shapes differ from the first's."""
    odd = [i for i, s in enumerate(shapes) if s != shapes[0]]
    layers = [trace.call(lp.steps[i][0]).name for i in odd[:3]] + (["…"] if len(odd) > 3 else [])
    return f"{', '.join(layers)} differ{'s' if len(odd) == 1 else ''}"


@dataclass(frozen=True)
class FailureFacts:
    """Where a forward pass failed, as the CLI and the report both say it."""

    host: str  # `GRUCell.forward`, or ''
    location: str  # `gru.py:41`, or ''
    code: str  # the source line
    what: str  # `Linear 'proj'` or `op Tensor.add`
    inputs: str  # `args[0] [5, 20], args[1] [5, 7]`
    weights: str  # `weight [7, 50], bias [7]`
    exc_type: str
    message: str


def failure_facts(trace: Trace) -> FailureFacts | None:
    """What is known of the failing call: its place, inputs and weights; None when nothing failed."""
    failure = trace.failure
    if failure is None:
        return None
    c = trace.call(failure.call) if failure.call is not None else None
    if c is None:
        at = failure.raised_at
        where = (f"{at.file}:{at.line}", at.code, at.function) if at else ("", "", "")
        return FailureFacts(where[2], where[0], where[1], "", "", "", failure.exc_type, failure.message)
    parent = trace.call(c.parent) if c.parent else None
    src = failure.raised_at or c.source  # the line that raised, else the line that made the failing call
    host = failure.raised_at.function if failure.raised_at else f"{parent.type}.forward" if parent else ""
    return FailureFacts(
        host=host,
        location=f"{src.file}:{src.line}" if src else "",
        code=src.code if src else "",
        what=(f"{c.type} '{c.name}'" if c.name else f"the model ({c.type})")
        if c.kind == CallKind.MODULE
        else f"op {c.type}",
        inputs=", ".join(f"{named_path(t.path, c.arg_names)} {shape_text(t.shape)}" for t in c.inputs[:4]),
        weights=", ".join(f"{p.name} {shape_text(p.shape)}" for p in c.param_list[:2]),
        exc_type=failure.exc_type,
        message=failure.message,
    )
