"""Modules that hand their input back unchanged — `nn.Identity`, an eval-mode `nn.Dropout`, a Dropout with
p=0, torchvision's `StochasticDepth` in eval mode, a `Flatten` of what is already flat — drawn as the
edge they are, not as a box (`--ops all` draws them).

Told from the record, not from class names: a module call with no parameters and nothing significant
inside, every output of which is one of its inputs (the recorder keeps the input's maker as the
producer of a value handed back, and a module that writes into its input in place — `ReLU(inplace=True)`
— is the maker of the new version, so it is never taken for one).
"""

from __future__ import annotations

from ..kinds import CallKind
from ..record import Call, TensorMeta, Trace


def passes_through(trace: Trace, c: Call) -> bool:
    """Whether module call `c` returns its inputs unchanged and has nothing else to show."""
    if c.kind != CallKind.MODULE or c.parent is None or c.params or c.error or c.notes:
        return False
    if not c.inputs or not c.outputs or any(not k.bookkeeping for k in trace.index.children(c.id)):
        return False
    given = {(t.producer, t.shape, t.dtype) for t in c.inputs if t.producer is not None}
    return all(t.producer not in (None, c.id) and (t.producer, t.shape, t.dtype) in given for t in c.outputs)


def handed_back(c: Call, t: TensorMeta) -> TensorMeta | None:
    """The input of hidden call `c` that its output `t` is: for a module handing its input back, the input
    of the same maker, shape and dtype (the recorder gives the value handed back its own id); for a
    bookkeeping op (`.to()`, `.detach()`), its first input."""
    out = next((o for o in c.outputs if o.tid == t.tid), None)
    if out is not None and out.given:  # the recorder said which input it was
        same = next((i for i in c.inputs if i.tid == out.given), None)
        if same is not None:
            return same
    if out is not None and out.producer not in (None, c.id):
        same = next(
            (i for i in c.inputs if (i.producer, i.shape, i.dtype) == (out.producer, out.shape, out.dtype)), None
        )
        if same is not None:
            return same
    return c.inputs[0] if c.inputs else None
