"""Recurrent cells: Trace -> Trace with `cells`, the wiring inside recurrent cells.

Built-in modules (nn.LSTM, nn.GRU, nn.RNN and their Cell classes) are expanded from PyTorch's
equations and drawn only when the tracer's recomputation matched (`capture.verify`); custom cells
are read from the traced ops (`custom_cells`).
"""

from __future__ import annotations

import dataclasses

from ..kinds import CallKind
from ..record import Call, Cell, Trace
from ..record.loops import Rolling
from . import builtin_cells, custom_cells, loop_cells, loops, saturation


def annotate(trace: Trace, open_paths: tuple[str, ...] = (), rolling: Rolling | None = None) -> Trace:
    """Return `trace` with its recurrent cells described.

    Args:
        trace: the record of a forward pass.
        open_paths: module paths to analyse as cells even when they are not called in a loop.
        rolling: the record's loops (`loops.rolling_for(trace)`), when the caller has them already.
    """
    rolling = rolling if rolling is not None else loops.rolling_for(trace)
    kids: dict[str | None, list[Call]] = trace.children()
    found = _Found(trace, kids, rolling, open_paths)
    for call in trace.calls:
        if rolling.rep.get(call.id, call.id) == call.id and call.kind == CallKind.MODULE:
            found.module(call)
    cells = found.cells + loop_cells.loop_cells(trace, kids, rolling, len(found.cells), found.seen_custom)
    spread = [dataclasses.replace(c, spreads=saturation.gate_spreads(trace, c)) for c in cells]
    return dataclasses.replace(trace, cells=tuple(spread))


class _Found:
    """The cells found so far, module by module, in call order."""

    def __init__(
        self, trace: Trace, kids: dict[str | None, list[Call]], rolling: Rolling, open_paths: tuple[str, ...]
    ) -> None:
        self.trace, self.kids, self.rolling, self.open_paths = trace, kids, rolling, open_paths
        self.steps_of = {lp.id: lp.count for lp in rolling.time_loops}
        self.first_steps = {cid for lp in rolling.time_loops for cid in lp.steps[0]}
        self.cells: list[Cell] = []
        self.seen_custom: set[str] = set()

    def steps(self, call: Call) -> int:
        """How many time steps `call` runs for (T inside a loop over time, else 1)."""
        where = self.rolling.time_step(call.id)
        return self.steps_of[where[0]] if where else 1

    def module(self, call: Call) -> None:
        """Add the cells of one module call: a built-in recurrent module's layers, or a hand-written cell."""
        if call.config is not None:
            for cell in builtin_cells.cells(call, call.config, len(self.cells)):  # a Cell class in a loop: T steps
                self.cells.append(dataclasses.replace(cell, steps=cell.steps * self.steps(call)))
            return
        wanted = call.id in self.first_steps or call.name in self.open_paths
        has_ops = any(not k.bookkeeping and k.kind != CallKind.MODULE for k in self.kids.get(call.id, []))
        if not wanted or not has_ops or call.name in self.seen_custom:
            return
        self.seen_custom.add(call.name)
        following = next((self.trace.call(c) for c, r in self.rolling.rep.items() if r == call.id), None)
        cell = custom_cells.analyse(self.trace, self.kids, call, f"cell-{len(self.cells)}", self.steps(call), following)
        if cell.gates or call.name in self.open_paths:  # a module called per step without gates is no cell
            self.cells.append(cell)
