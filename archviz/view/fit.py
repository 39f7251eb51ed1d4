"""Fit a view to a size budget: above `max_nodes`, roll loops back up and collapse depth, and say so."""

from __future__ import annotations

import dataclasses

from ..kinds import CallKind
from ..record import Trace
from .build import build
from .graph import Graph, View


def fit(trace: Trace, view: View, max_nodes: int) -> tuple[Graph, str | None]:
    """Build the view; above `max_nodes`, collapse depth (and re-roll loops) until it fits, and say so."""
    g = build(trace, view)
    if len(g.nodes) <= max_nodes:
        return g, None
    deepest = max((c.depth for c in trace.calls if c.kind == CallKind.MODULE), default=0)
    start = deepest - 1 if view.depth is None else view.depth - 1
    # An unrolled view is first rolled back up: one step drawn truthfully beats T steps collapsed.
    tries = [(view.depth, False)] if view.unroll else []
    tries += [(d, False) for d in range(start, -1, -1)]
    for d, unroll in tries:
        smaller = dataclasses.replace(view, depth=d, unroll=unroll)
        candidate = build(trace, smaller)
        if len(candidate.nodes) <= max_nodes:
            how = [f"--depth {d}"] if d != view.depth else []
            how += ["loops rolled"] if unroll != view.unroll else []
            return candidate, (
                f"the diagram would have {len(g.nodes)} nodes, more than --max-nodes {max_nodes} can lay out "
                f"quickly; drawn with {' and '.join(how)} ({len(candidate.nodes)} nodes) instead."
            )
    return g, (
        f"the diagram has {len(g.nodes)} nodes (over --max-nodes {max_nodes}) even fully collapsed; layout may be slow."
    )
