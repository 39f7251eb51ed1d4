"""What the entry points tell the user about a traced model: where it failed, or that it returned nothing."""

from __future__ import annotations

import re

from ..record import Trace
from ..record.text import printable
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
    elif facts.location:
        where = (f" in {facts.host}" if facts.host else "") + f" ({facts.location})"
    tail = f" — partial diagram written to {', '.join(written)}" if written else ""
    return f"forward pass failed{where}: {facts.exc_type}: {one_paragraph(facts.message)}{tail}"


_SCRIPT_FAILED = "The following operation failed in the TorchScript interpreter."


def one_paragraph(message: str) -> str:
    """An exception's text as one paragraph for the terminal (the record and the report keep it whole).

    TorchScript wraps the real error in an interpreter traceback: its last line is the error. Other
    messages have their lines joined, whole; terminal escapes and control characters never reach the
    terminal (see `printable`).
    """
    lines = [ln.strip() for ln in printable(message).splitlines() if ln.strip()]  # no terminal escapes
    if lines and lines[0] == _SCRIPT_FAILED:
        last = re.sub(r"^\w+(Error|Exception): ", "", lines[-1])  # the type is said once, before
        return f"{last} (inside TorchScript code)"
    return " ".join(lines)
