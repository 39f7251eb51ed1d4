"""Which recurrent cells a view opens, and what the gate analysis says about each op drawn."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kinds import GatesMode
from ..record import Cell, Trace, WireNode
from .graph import View


@dataclass
class Opened:
    """The cells of a record as one view draws them.

    Args:
        cells: module call id -> its cells (one per layer and direction of a built-in module).
        wire: op call id -> its place in a cell's wiring (gate, pointwise, …).
        shared: module path -> how often one step calls it (shared weights).
        open_builtin: built-in recurrent modules drawn open (their layers and directions as boxes).
        closed_custom: hand-written cells drawn as one box (`--gates none`).
        cell_nodes: nn.LSTMCell & co drawn as one cell step in place of the module box.
    """

    cells: dict[str, list[Cell]] = field(default_factory=dict)
    wire: dict[str, WireNode] = field(default_factory=dict)
    shared: dict[str, int] = field(default_factory=dict)
    open_builtin: set[str] = field(default_factory=set)
    closed_custom: set[str] = field(default_factory=set)
    cell_nodes: set[str] = field(default_factory=set)


def opened(trace: Trace, view: View) -> Opened:
    """Decide which cells `view` opens (`--gates`), and index the gate wiring by op."""
    o = Opened()
    for cell in trace.cells:
        o.cells.setdefault(cell.call, []).append(cell)
        o.wire.update((w.call, w) for w in cell.nodes if w.call is not None)
    o.shared = {name: n for cell in trace.cells for name, n in cell.shared}
    chosen = set(view.open_paths)
    for call_id, cells in o.cells.items():
        call = trace.call(call_id)
        named = call.name in chosen
        if not cells[0].custom:
            is_cell = call.config is not None and call.config.cell  # nn.LSTMCell & co open by default
            if view.gates == GatesMode.ALL or named or (view.gates == GatesMode.AUTO and is_cell):
                o.open_builtin.add(call_id)
        elif view.gates == GatesMode.NONE and not named:
            o.closed_custom.add(call_id)
    o.cell_nodes = {cid for cid in o.open_builtin if (cfg := trace.call(cid).config) and cfg.cell}
    o.open_builtin -= o.cell_nodes
    return o
