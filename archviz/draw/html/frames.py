"""The report's data for loop and repeat frames: their side panels, and which calls each folded member holds.

A repeat frame (`layers.0–42 ×43`) draws one member for all; the report still finds any member by
name (search `layers.17`) or by call (a link to a call inside member 17 names the fold and the member).
Members are told apart by the Loop's steps (call ids), never by their names: structural folds have
members whose names share no numbering.
"""

from __future__ import annotations

from typing import Any

from ...kinds import CallKind, ClusterKind
from ...record import Loop, Trace, call_number, shape_text
from ...view.graph import Graph


def member_name(trace: Trace, step: tuple[str, ...]) -> str:
    """A fold member's name: its modules' paths (`layers.17`; `conv, bn` for a step of two modules)."""
    names = [trace.call(c).name for c in step if trace.call(c).kind == CallKind.MODULE and trace.call(c).name]
    return ", ".join(names) if names else trace.call(step[0]).name


def _span(trace: Trace, step: tuple[str, ...]) -> list[int]:
    """[first, last] call numbers of a step and everything its calls ran inside them."""
    index = trace.index
    return [call_number(step[0]), call_number(trace.calls[index.end(step[-1])].id)]


def _panel(trace: Trace, lp: Loop, label: str, box: str) -> dict[str, Any]:
    first = trace.call(lp.steps[0][0])
    last = trace.call(lp.steps[-1][-1])
    head, _, rest = label.partition("\n")
    if not lp.repeat and lp.parent is not None and trace.call(lp.parent).name:
        head += f" in {trace.call(lp.parent).name}"  # `loop ×5 in cells.0`
    what = "repeated layers" if lp.repeat else "loop over time"
    return {
        "title": head,
        "type": f"{what} ×{lp.count}",
        "kind": ClusterKind.REPEAT if lp.repeat else ClusterKind.LOOP,
        "inputs": [{"path": t.path, "shape": shape_text(t.shape), "dtype": t.dtype} for t in first.inputs[:4]],
        "outputs": [{"path": t.path, "shape": shape_text(t.shape), "dtype": t.dtype} for t in last.outputs[:4]],
        "params": [],
        "total_params": "0",
        "source": "",
        "loop": lp.count,
        "error": "",
        "notes": [n for n in (rest, _state(lp)) if n],
        "gates": [],
        "findings": [],
        "cells": [],
        "members": [member_name(trace, step) for step in lp.steps] if lp.repeat else [],
        "box": box,
    }


def _state(lp: Loop) -> str:
    if not lp.state:
        return ""
    carried = ", ".join(shape_text(s) for s in lp.state)
    return f"each {'layer' if lp.repeat else 'step'} hands the next {carried}"


def frame_panels(trace: Trace, graph: Graph) -> dict[str, Any]:
    """The side panel of each loop and repeat frame drawn in `graph`, by frame id."""
    loops = {lp.id: lp for lp in graph.loops}
    places = dict(graph.places)
    nodes = {n.id for n in graph.nodes}

    def box(lp: Loop) -> str:
        """The one box a member is drawn as (a layer drawn closed), or ''."""
        element = places.get(lp.steps[0][0], "") if len(lp.steps[0]) == 1 else ""
        return element if element in nodes else ""

    return {
        c.id: _panel(trace, loops[c.id], c.label, box(loops[c.id]))
        for c in graph.clusters
        if c.kind in (ClusterKind.LOOP, ClusterKind.REPEAT) and c.id in loops
    }


def folds(trace: Trace, graph: Graph) -> list[dict[str, Any]]:
    """Each repeat frame drawn: its id, its members' names, and the calls each member ran ([first, last]
    call numbers), for search and links to folded calls."""
    drawn = {c.id for c in graph.clusters if c.kind == ClusterKind.REPEAT}
    return [
        {
            "frame": lp.id,
            "names": [member_name(trace, step) for step in lp.steps],
            "spans": [_span(trace, step) for step in lp.steps],
        }
        for lp in graph.loops
        if lp.repeat and lp.id in drawn
    ]
