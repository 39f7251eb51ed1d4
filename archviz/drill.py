"""Drill-in diagrams: one DOT per recurrent cell, and an overview per stacked/bidirectional module."""

from __future__ import annotations

from dataclasses import dataclass

from . import dot, gatesdot, stackview
from .record import Cell, Trace
from .viewgraph import Graph


@dataclass(frozen=True)
class DrillIn:
    """One extra diagram: `name` is the file name without extension (`gru.cells.0.gates`)."""

    name: str
    dot: str
    cells: tuple[str, ...]


def _by_call(trace: Trace) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    for cell in trace.cells:
        out.setdefault(cell.call, []).append(cell)
    return out


def _cell_name(stem: str, cell: Cell, stacked: bool) -> str:
    return f"{stem}.{gatesdot.file_suffix(cell, stacked)}.gates"


def drill_ins(trace: Trace, stem: str, fmt: str = "svg") -> list[DrillIn]:
    """Every drill-in diagram of `trace`, named after `stem` (the main diagram's file stem)."""
    out: list[DrillIn] = []
    for call_id, cells in _by_call(trace).items():
        stacked = len(cells) > 1
        for cell in cells:
            out.append(DrillIn(_cell_name(stem, cell, stacked), gatesdot.cell_dot(cell), (cell.id,)))
        if stacked:
            call = trace.call(call_id)
            nodes, edges, box, _ = stackview.expand(call, cells, None)
            links = {f"{call_id}:{c.id}": f"{_cell_name(stem, c, True)}.{fmt}" for c in cells}
            g = Graph(f"{call.name}: {call.type} — layers and directions", "TB", tuple(nodes), tuple(edges), (box,))
            out.append(DrillIn(f"{stem}.{call.name or 'model'}.gates", dot.to_dot(g, links=links), tuple(c.id for c in cells)))
    return out


def links(trace: Trace, graph: Graph, stem: str, fmt: str = "svg") -> dict[str, str]:
    """Main-diagram node id -> drill-in file (relative), for nodes that stand for recurrent cells."""
    cells = {c.id: c for c in trace.cells}
    by_call = _by_call(trace)
    out: dict[str, str] = {}
    for cell in trace.cells:  # custom cells are drawn open, as a cluster of their ops
        if cell.kind == "custom":
            out["cl-" + cell.call] = f"{_cell_name(stem, cell, False)}.{fmt}"
    for node in graph.nodes:
        if not node.cells:
            continue
        first = cells[node.cells[0]]
        stacked = len(by_call[first.call]) > 1
        if len(node.cells) > 1:  # a closed stacked module: its overview
            out[node.id] = f"{stem}.{first.path or 'model'}.gates.{fmt}"
        else:
            out[node.id] = f"{_cell_name(stem, first, stacked)}.{fmt}"
    return out
