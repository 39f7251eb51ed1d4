"""Models that once drew floating boxes (issue #21, items 3 and 4) draw connected: every recorded call
reaches an output. `torch.autograd.Variable(t)` is an alias of `t` (torch does not dispatch it, so it
is recognised by its elements); hook-based `weight_norm` recomputes a layer's weight inside that
layer's own call, and one module registered under two names is not weight tying."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from archviz.analysis.doctor.context import Index
from archviz.app import trace_file
from archviz.record import Trace

IDLE = Path(__file__).resolve().parent.parent / "doctor" / "idle" / "good"


def traced(name: str) -> Trace:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return trace_file(str(IDLE / name)).trace


def floating(trace: Trace) -> list[str]:
    """Calls none of whose outputs is read, handed up, or a model output."""
    index = Index(trace)
    return [
        f"{c.id} {c.name}" for c in trace.calls[1:] if c.outputs and not any(index.used(t, c.id) for t in c.outputs)
    ]


def test_variable_is_an_alias_of_its_argument() -> None:
    trace = traced("variable_state.py")
    assert floating(trace) == []
    lstm = next(c for c in trace.calls if c.name == "lstm")
    makers = {trace.index.tensor_maker(t.tid) for t in lstm.inputs}
    randn = [c.id for c in trace.calls if c.name == "randn"]
    assert len(randn) == 2 and set(randn) <= makers  # h0 and c0 come from the two randn calls


def test_hook_based_weight_norm_draws_no_floating_box_and_no_tie() -> None:
    trace = traced("weight_norm_tcn.py")
    assert floating(trace) == []
    assert not [c.name for c in trace.calls if "weight_norm" in c.name]
    assert not [n for c in trace.calls for n in c.notes if "tied" in n]  # conv1 is also net.0: one module
    assert trace.unread == () and trace.uncalled == ()  # weight_g and weight_v were read by the conv
