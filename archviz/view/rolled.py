"""The record as the diagram draws it: loops and repeated layers kept once, with their counts.

The full record lists every step of every loop (a 1,000-step GRU has 29,000 calls); the report
embeds this rolled copy instead. Calls folded onto a first step are left out, what they produced is
attributed to the call they fold onto, and each loop is described in `meta` (`loops`), so the copy
is still a record that `Trace.from_json` reads and `Trace.lint` accepts.
"""

from __future__ import annotations

import dataclasses
import json

from ..record import Call, Rolling, TensorMeta, Trace, is_call_id


def rolled_record(trace: Trace, rolling: Rolling) -> Trace:
    """`trace` with every call folded onto a first loop step (or repeated layer) left out."""
    rep = rolling.rep
    if not rep:
        return trace

    def keep(t: TensorMeta) -> TensorMeta:
        p = t.producer
        return dataclasses.replace(t, producer=rep.get(p, p)) if is_call_id(p) and p in rep else t

    def roll(c: Call) -> Call:
        return dataclasses.replace(
            c,
            parent=rep.get(c.parent, c.parent) if c.parent else None,
            inputs=tuple(keep(t) for t in c.inputs),
            outputs=tuple(keep(t) for t in c.outputs),
        )

    calls = tuple(roll(c) for c in trace.calls if c.id not in rep or rep[c.id] == c.id)
    loops = [
        {"id": lp.id, "count": lp.count, "parent": lp.parent, "first_step": list(lp.steps[0]), "repeat": lp.repeat}
        for lp in rolling.loops
    ]
    meta = (*trace.meta, ("rolled", f"{len(calls)} of {len(trace.calls)} calls"), ("loops", json.dumps(loops)))
    outputs = tuple(keep(t) for t in trace.outputs)
    return dataclasses.replace(trace, calls=calls, outputs=outputs, meta=meta)
