"""What the entry points tell the user about a traced model: where it failed, or that it returned nothing."""

from __future__ import annotations

from ..kinds import CallKind
from ..record import Trace, shape_text


def no_output_message(trace: Trace) -> str | None:
    """Say so when a forward pass that did not fail returned no tensor at all."""
    if trace.failure is not None or trace.outputs:
        return None
    returned = dict(trace.meta).get("output_type", "nothing")
    return (
        f"{trace.model_class}.forward ({trace.source_file or 'model'}) returned {returned}, which holds no tensor, "
        "so the diagram has no output to show. Return a tensor, or a tuple, list or dict of tensors."
    )


def failure_message(trace: Trace, written: list[str]) -> str:
    """One paragraph saying where the forward pass failed and what was written anyway."""
    failure = trace.failure
    assert failure is not None
    where = ""
    if failure.call is not None:
        c = trace.call(failure.call)
        parent = trace.call(c.parent) if c.parent else None
        shapes = ", ".join(f"{t.path} {shape_text(t.shape)}" for t in c.inputs[:4])
        what = f"{c.type} '{c.name}'" if c.kind == CallKind.MODULE else f"op {c.type}"
        loc = f" ({c.source.file}:{c.source.line})" if c.source else ""
        host = f" in {parent.type}.forward" if parent else ""
        weights = ", ".join(f"{p.name} {shape_text(p.shape)}" for p in c.param_list[:2])
        where = f"{host}{loc} at {what} with inputs {shapes or 'none'}" + (f" and {weights}" if weights else "")
    tail = f" — partial diagram written to {', '.join(written)}" if written else ""
    return f"forward pass failed{where}: {failure.exc_type}: {failure.message}{tail}"
