"""Recurrent cells: Trace -> Trace with `cells`, the wiring inside recurrent cells.

Built-in modules (nn.LSTM, nn.GRU, nn.RNN and their Cell classes) are expanded from PyTorch's
equations and drawn only when the tracer's recomputation matched (`capture.verify`); custom cells
are read from the traced ops (`custom_cells`).
"""

from __future__ import annotations

import dataclasses

from ..kinds import CallKind
from ..record import Call, Cell, Trace
from . import builtin_cells, custom_cells, loop_cells, loops


def annotate(trace: Trace, open_paths: tuple[str, ...] = ()) -> Trace:
    """Return `trace` with its recurrent cells described.

    Args:
        trace: the record of a forward pass.
        open_paths: module paths to analyse as cells even when they are not called in a loop.
    """
    rolling = loops.rolling_for(trace, all_ops=False)
    kids: dict[str | None, list[Call]] = trace.children()
    steps_of = {lp.id: lp.count for lp in rolling.time_loops}
    first_steps = {cid for lp in rolling.time_loops for cid in lp.steps[0]}
    found: list[Cell] = []
    seen_custom: set[str] = set()

    def steps(call: Call) -> int:
        where = rolling.time_step(call.id)
        return steps_of[where[0]] if where else 1

    for call in trace.calls:
        if rolling.rep.get(call.id, call.id) != call.id or call.kind != CallKind.MODULE:
            continue
        if call.config is not None:
            for cell in builtin_cells.cells(call, call.config, len(found)):  # a Cell class in a loop runs T steps
                found.append(dataclasses.replace(cell, steps=cell.steps * steps(call)))
            continue
        wanted = call.id in first_steps or call.name in open_paths
        has_ops = any(not k.bookkeeping and k.kind != CallKind.MODULE for k in kids.get(call.id, []))
        if wanted and has_ops and call.name not in seen_custom:
            seen_custom.add(call.name)
            following = next((trace.call(c) for c, r in rolling.rep.items() if r == call.id), None)
            cell = custom_cells.analyse(trace, kids, call, f"cell-{len(found)}", steps(call), following)
            if cell.gates or call.name in open_paths:  # a module called per step without gates is no cell
                found.append(cell)
    found += loop_cells.loop_cells(trace, kids, rolling, len(found), seen_custom)
    return dataclasses.replace(trace, cells=tuple(found))
