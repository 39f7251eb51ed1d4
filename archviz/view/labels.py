"""The text of the view: tensor lines in boxes, edge labels, index expressions, state-row notes."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from ..kinds import C_N_PATH, GETITEM, STATE_PATH, CallKind, Direction
from ..record import Call, TensorMeta, Trace, is_call_id, named_path, path_tail, shape_text
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
        tail = path_tail(t.path)
        shape = named_shape(t.shape, names.get(t.tid) if names else None)
        line = (tail + " " if tail else "") + shape + ("" if t.dtype == "float32" else f" {t.dtype}")
        if t.layout:  # a sparse tensor says so, and how many values it stores
            line += f" {t.layout}" + (f" nnz={t.nnz}" if t.nnz is not None else "")
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


def index_text(c: Call, steps: tuple[Call, ...] = ()) -> str:
    """`[:, 3]` for `x[:, 3]`, from the summarised index arguments; with the same call in every step of a
    rolled loop (`steps`), a position whose value changes from step to step reads as its range
    (`[0…4]` for `x[i]`, `[:, 0…11]`), since the box stands for every step."""
    parts = [a.summary for a in c.args if a.path.startswith("args[1]")]
    if len(steps) > 1:
        seen = [[a.summary for a in s.args if a.path.startswith("args[1]")] for s in steps]
        if all(len(v) == len(parts) for v in seen):
            parts = [_values_at([v[i] for v in seen]) for i in range(len(parts))]
    return "[" + ", ".join(parts) + "]" if parts else ""


def _values_at(values: list[str]) -> str:
    """One index position over the steps: its value when fixed, else `first…last` (`…` alone when the
    values are no run of integers)."""
    if len(set(values)) == 1:
        return values[0]
    ints = [int(v) for v in values if v.lstrip("-").isdigit()]
    gaps = {b - a for a, b in pairwise(ints)}
    if len(ints) == len(values) and len(gaps) == 1 and 0 not in gaps:  # a run: 0, 1, 2 … or 8, 6, 4 …
        return f"{ints[0]}…{ints[-1]}"
    return "…"


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
    """`layers.0–11` for layers.0 … layers.11: the first index that differs, as a range;
    `encoder.layers.encoder_layer_0 … encoder_layer_11` when it is no number (the common path once)."""
    a, b = first.split("."), last.split(".")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if x.isdigit() and y.isdigit():
                return ".".join([*a[:i], f"{x}–{y}"])
            return f"{first} … {'.'.join(b[i:])}"
    return first


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
