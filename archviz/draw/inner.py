"""The insides of collapsed boxes, precomputed for the report: one view per module the report can open.

The report stays one offline file, so what a click opens is laid out at render time (with the drill-ins,
each by its own Graphviz process). Which insides are made is decided from the record alone, in a fixed order:
every collapsed module box of the main diagram, then the collapsed boxes of those insides, breadth
first, until `INNER_BOXES` boxes have been drawn in all (a box costs the page about 2.4 KB, SVG and
panel, so the insides add at most about 1.4 MB: the 7B report stays under its 2 MB goal). An inside
too big for what is left is skipped; its box opens its panel only. Each inside is drawn at the deepest
depth that keeps it to `INNER_MAX_BOXES` boxes, and never less than one level below the module, with
the main view's box style; without the legend (the main diagram has it).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass

from ..kinds import CallKind, Theme
from ..record import Trace
from ..view import View, build
from ..view.graph import Graph
from . import dot

INNER_BOXES = 600  # boxes over all precomputed insides (about 2.4 KB each in the page: SVG and panel)
INNER_MAX_BOXES = 60  # boxes in one inside: the deepest view of a module that stays this small


@dataclass(frozen=True)
class Inner:
    """One module's inside: `key` names it in the page (`v1`, `v2`, ...), `call` is the module call it
    draws, `parent` the key of the diagram whose box opens it ('' for the main diagram) and `element`
    that box's id there."""

    key: str
    call: str
    parent: str
    element: str
    graph: Graph
    dot: str


def openable(trace: Trace, graph: Graph) -> list[tuple[str, str]]:
    """(box id, module call id) of the boxes of `graph` that stand for a module drawn closed, with calls
    inside it (recurrent modules open into their gate diagrams instead)."""
    found = []
    for n in graph.nodes:
        if n.collapsed and n.call and not n.cells and n.call in trace.index:
            if trace.call(n.call).kind == CallKind.MODULE:
                found.append((n.id, n.call))
    return found


def _deepest(trace: Trace, call_id: str) -> int:
    index = trace.index
    inside = trace.calls[index.position(call_id) : index.end(call_id) + 1]
    return max((c.depth for c in inside if c.kind == CallKind.MODULE), default=0)


def inside(trace: Trace, call_id: str, base: View) -> Graph:
    """The view of module call `call_id` alone: the deepest that has at most INNER_MAX_BOXES boxes.
    A focused view counts `--depth` from the focused module (its children are depth 1). Deeper views
    have no fewer boxes, so the depth is found by bisection: a few views, not one per level (a module
    nested 600 deep)."""
    low, high = 1, max(_deepest(trace, call_id) - trace.call(call_id).depth, 1)
    views: dict[int, Graph] = {}

    def view(depth: int) -> Graph:
        if depth not in views:
            views[depth] = build(trace, dataclasses.replace(base, focus=call_id, depth=depth))
        return views[depth]

    if len(view(high).nodes) <= INNER_MAX_BOXES:
        return view(high)
    while low < high - 1:  # view(high) is too big; view(low) fits, or low is 1 and nothing smaller exists
        mid = (low + high) // 2
        if len(view(mid).nodes) <= INNER_MAX_BOXES:
            low = mid
        else:
            high = mid
    return view(low)


def insides(trace: Trace, main: Graph, base: View, theme: Theme = Theme.LIGHT) -> list[Inner]:
    """The insides the report carries, in a fixed order (breadth first from the main diagram's boxes)."""
    base = dataclasses.replace(base, focus=None, depth=None, names=base.names, compact=main.compact)
    todo = deque(("", element, call) for element, call in openable(trace, main))
    made: list[Inner] = []
    seen: set[str] = set()
    boxes = 0
    while todo:
        parent, element, call = todo.popleft()
        if call in seen:  # the same module opened from two places: drawn once
            continue
        seen.add(call)
        g = inside(trace, call, base)
        if boxes + len(g.nodes) > INNER_BOXES:
            continue  # too big for what is left; a smaller one later may still fit
        boxes += len(g.nodes)
        key = f"v{len(made) + 1}"
        made.append(Inner(key, call, parent, element, g, dot.to_dot(g, legend=False, theme=theme)))
        todo.extend((key, e, c) for e, c in openable(trace, g))
    return made
