"""Pass-through modules drawn as the edge they pass (`via dropout`): which modules an edge passes, the
element id of that edge, and the dtype a value left its drawn maker with."""

from __future__ import annotations

import dataclasses

from ..analysis.passthrough import handed_back
from ..kinds import CallKind, Role
from ..record import Call, TensorMeta, Trace, is_call_id
from .graph import Edge

_CHAIN = 50  # hand-backs followed at most from one reader to the box that made the value


def via(trace: Trace, edge: Edge, passed: tuple[str, ...] | None) -> Edge:
    """`edge` labelled with the modules it passes (`via dropout`), if any."""
    if not passed:
        return edge
    label = "via " + ", ".join(dict.fromkeys(short(trace.call(cid)) for cid in passed))
    return dataclasses.replace(edge, label=label + "\n" + edge.label, passes=passed)


def with_ids(edges: list[Edge]) -> tuple[list[Edge], dict[str, str]]:
    """Each edge that passes modules with an element id (`pass-` and its first module call); and which edge
    draws each such module (the report's tree and panels point to it)."""
    passed_by: dict[str, str] = {}
    out = []
    for e in edges:
        if e.passes and "pass-" + e.passes[0] not in passed_by.values():
            e = dataclasses.replace(e, id="pass-" + e.passes[0])
            passed_by.update((cid, e.id) for cid in e.passes if cid not in passed_by)
        out.append(e)
    return out, passed_by


def passed(trace: Trace, role: dict[str, Role], t: TensorMeta) -> tuple[str, ...]:
    """The modules handing `t` back between its maker and its reader, in execution order."""
    found: list[str] = []
    for _ in range(_CHAIN):
        p = t.producer
        if not is_call_id(p) or role.get(p) != Role.HIDDEN:
            break
        call = trace.call(p)
        if call.kind == CallKind.MODULE:
            found.append(p)
        given = handed_back(call, t)
        if given is None:
            break
        t = given
    return tuple(reversed(found))


def as_sent(trace: Trace, role: dict[str, Role], t: TensorMeta) -> TensorMeta:
    """`t` with the dtype it left its drawn maker with, when a folded `.to(torch.bool)` or `.float()`
    changed it on the way (`int64→bool`): the edge carries both, not the converted one alone."""
    sent = t
    for _ in range(_CHAIN):
        if not is_call_id(sent.producer) or role.get(sent.producer) != Role.HIDDEN:
            break
        call = trace.call(sent.producer)
        if not call.inputs or not any(o.tid == sent.tid for o in call.outputs):
            break
        sent = call.inputs[0]
    return t if sent.dtype == t.dtype else dataclasses.replace(t, dtype=f"{sent.dtype}→{t.dtype}")


def short(c: Call) -> str:
    """`dropout` for `encoder.layer.0.dropout`; `classifier.0` when the last part is a number; the class
    too when the name says nothing (`Dropout 0`)."""
    parts = c.name.split(".")
    short = ".".join(parts[-2:]) if len(parts) > 1 and parts[-1].isdigit() else parts[-1]
    return short if any(ch.isalpha() for ch in short) else f"{c.type} {short}".strip()
