"""What the entry points tell the user about a traced model: where it failed, or that it returned nothing."""

from __future__ import annotations

from ..record import Trace
from ..view.labels import failure_facts


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
    facts = failure_facts(trace)
    assert facts is not None
    where = ""
    if facts.what:
        host = f" in {facts.host}" if facts.host else ""
        loc = f" ({facts.location})" if facts.location else ""
        weights = f" and {facts.weights}" if facts.weights else ""
        where = f"{host}{loc} at {facts.what} with inputs {facts.inputs or 'none'}{weights}"
    tail = f" — partial diagram written to {', '.join(written)}" if written else ""
    return f"forward pass failed{where}: {facts.exc_type}: {facts.message}{tail}"
