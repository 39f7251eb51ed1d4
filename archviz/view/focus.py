"""`--focus PATH`: one module call's sub-trace as a record of its own, drawn like a whole model.

The focused call becomes the root; what its calls read from outside it — its arguments, and anything
else made before it — becomes the record's inputs, and its outputs the record's outputs. Call ids stay
as they are, so a box in the focused diagram names the same call as in the main diagram and the report.
"""

from __future__ import annotations

import dataclasses

from ..errors import UsageError
from ..kinds import INPUT_PRODUCER, CallKind
from ..record import Call, TensorMeta, Trace, is_call_id


def focus_call(trace: Trace, focus: str) -> Call:
    """The call `focus` names: a call id (`call-0107`), or a module path (its first call).

    A name that is neither is a usage error that lists a few module paths there are.
    """
    if is_call_id(focus) and focus in trace.index:
        return trace.call(focus)
    found = next((c for c in trace.calls if c.kind == CallKind.MODULE and c.name == focus), None)
    if found is not None:
        return found
    modules = list(dict.fromkeys(c.name for c in trace.calls if c.kind == CallKind.MODULE and c.name))
    near = _near(modules, focus)
    shown = ", ".join(near[:_SHOWN]) + (f", … ({len(near)} in all)" if len(near) > _SHOWN else "")
    where = "its module paths" if len(near) == len(modules) else "the module paths there are near it"
    raise UsageError(
        f"--focus {focus}: no module of that path ran in {trace.model_name}'s forward pass"
        + (f"; {where}: {shown}." if shown else "; it has no submodule.")
    )


_SHOWN = 12  # module paths named by the error


def _near(modules: list[str], focus: str) -> list[str]:
    """The paths under the longest prefix of `focus` that names a module (`encoder.layers.*` for
    `encoder.layers.33`), one level down; the top-level paths when no prefix does."""
    parts = focus.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i]) + "."
        below = [m for m in modules if m.startswith(head) and "." not in m[len(head) :]]
        if below:
            return below
    return [m for m in modules if "." not in m] or modules


def focused(trace: Trace, focus: str) -> Trace:
    """The record of the call `focus` names and everything inside it, its reads from outside as inputs."""
    target = focus_call(trace, focus)
    index = trace.index
    calls = trace.calls[index.position(target.id) : index.end(target.id) + 1]
    inside = {c.id for c in calls}
    outside: dict[str, TensorMeta] = {}  # tensor id -> the input it becomes, in the order first read

    def cut(t: TensorMeta, reader: Call) -> TensorMeta:
        if t.producer is None or t.producer in inside:
            return t
        if t.tid not in outside:
            maker = trace.call(t.producer).name if is_call_id(t.producer) and t.producer in index else "input"
            path = t.path if reader.id == target.id else f"from {maker or trace.model_class}"
            outside[t.tid] = dataclasses.replace(t, producer=INPUT_PRODUCER, path=path)
        return dataclasses.replace(t, producer=INPUT_PRODUCER)

    body = [dataclasses.replace(c, inputs=tuple(cut(t, c) for t in c.inputs)) for c in calls]
    body = [dataclasses.replace(c, outputs=tuple(cut(t, c) for t in c.outputs)) for c in body]
    body[0] = dataclasses.replace(body[0], parent=None)
    body = [dataclasses.replace(c, depth=c.depth - target.depth) for c in body]  # `--depth` counts from it
    failure = trace.failure if trace.failure is not None and trace.failure.call in inside else None
    return dataclasses.replace(
        trace,
        model_name=target.name or trace.model_name,
        model_class=target.type,
        inputs=tuple(outside.values()),
        outputs=body[0].outputs,
        calls=tuple(body),
        failure=failure,
        cells=tuple(cell for cell in trace.cells if cell.call in inside),
        findings=tuple(f for f in trace.findings if set(f.calls) & inside),
    )
