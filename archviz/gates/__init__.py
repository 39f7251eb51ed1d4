"""The gates stage: Trace -> Trace with `cells`, the wiring inside recurrent cells.

Built-in modules (nn.LSTM, nn.GRU, nn.RNN and their Cell classes) are expanded from PyTorch's
equations and kept only when the tracer's recomputation matched (`verify`); custom cells are read
from the traced ops (`custom`). Only `verify` imports torch.
"""

from __future__ import annotations

import dataclasses

from .. import loops
from ..record import MODULE, Call, Cell, Trace
from . import builtin, custom


def annotate(trace: Trace, open_paths: tuple[str, ...] = ()) -> Trace:
    """Return `trace` with its recurrent cells described.

    Args:
        trace: the record of a forward pass.
        open_paths: module paths to analyse as cells even when they are not called in a loop.
    """
    rolling = loops.rolling_for(trace, all_ops=False)
    kids: dict[str | None, list[Call]] = trace.children()
    steps_of = {lp.id: lp.count for lp in rolling.loops}
    found: list[Cell] = []
    seen_custom: set[str] = set()

    def steps(call: Call) -> int:
        where = rolling.step.get(call.id)
        return steps_of[where[0]] if where else 1

    for call in trace.calls:
        if rolling.rep.get(call.id, call.id) != call.id or call.kind != MODULE:
            continue
        if call.config:
            for cell in builtin.cells(call, len(found)):  # a Cell class called in a loop runs T steps
                found.append(dataclasses.replace(cell, steps=cell.steps * steps(call)))
            continue
        in_loop = any(call.id in lp.steps[0] for lp in rolling.loops)
        wanted = in_loop or call.name in open_paths
        has_ops = any(not k.bookkeeping and k.kind != MODULE for k in kids.get(call.id, []))
        if wanted and has_ops and call.name not in seen_custom:
            seen_custom.add(call.name)
            following = next((trace.call(c) for c, r in rolling.rep.items() if r == call.id), None)
            found.append(custom.analyse(trace, kids, call, f"cell-{len(found)}", steps(call), following))
    return dataclasses.replace(trace, cells=tuple(found))
