"""Drill-in diagrams: one DOT per recurrent cell, and an overview per stacked/bidirectional module."""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import Theme
from ..record import Cell, Trace
from ..view import names, stacks
from ..view.graph import Graph
from . import dot, gates


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


def drill_ins(trace: Trace, stem: str, fmt: str = "svg", theme: Theme = Theme.LIGHT) -> list[DrillIn]:
    """Every drill-in diagram of `trace`, named after `stem` (the main diagram's file stem)."""
    out: list[DrillIn] = []
    for call_id, cells in _by_call(trace).items():
        stacked = len(cells) > 1
        for cell in cells:
            out.append(DrillIn(names.cell_name(stem, cell, stacked), gates.cell_dot(cell, theme), (cell.id,)))
        if stacked:
            call = trace.call(call_id)
            links = {f"{call_id}:{c.id}": f"{names.cell_name(stem, c, True)}.{fmt}" for c in cells}
            text = dot.to_dot(stacks.overview(call, cells), links=links, theme=theme)
            out.append(DrillIn(names.overview_name(stem, call.name), text, tuple(c.id for c in cells)))
    return out


def links(trace: Trace, graph: Graph, stem: str, fmt: str = "svg") -> dict[str, str]:
    """Main-diagram node id -> drill-in file (relative), for nodes that stand for recurrent cells."""
    cells = {c.id: c for c in trace.cells}
    by_call = _by_call(trace)
    out: dict[str, str] = {}
    for cell in trace.cells:  # custom cells are drawn open, as a cluster of their ops
        if cell.custom:
            out["cl-" + cell.call] = f"{names.cell_name(stem, cell, False)}.{fmt}"
    for node in graph.nodes:
        if not node.cells:
            continue
        first = cells[node.cells[0]]
        stacked = len(by_call[first.call]) > 1
        if len(node.cells) > 1:  # a closed stacked module: its overview
            out[node.id] = f"{names.overview_name(stem, first.path)}.{fmt}"
        else:
            out[node.id] = f"{names.cell_name(stem, first, stacked)}.{fmt}"
    return out
