"""Fit a view to a budget, so that laying it out never takes minutes and the picture stays readable.

Before Graphviz runs, a view's cost is estimated from what makes `dot` slow — boxes, and edges that
span many ranks (long edges are what its crossing minimisation chokes on); after it runs, the picture
is measured. Whatever is over budget is replaced by the next view down a ladder — loops rolled back
up, then modules collapsed one depth at a time — and the user is told what was done. When nothing
fits, the smallest view found is used, never the original.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from ..kinds import CallKind
from ..record import NO_LOOPS, Rolling, Trace
from .build import build, loops_for
from .graph import Graph, View

DPI = 96
PAGE_WIDTH_PX = 1200  # the report's diagram column


@dataclass(frozen=True)
class Budget:
    """How big a view may be.

    Args:
        max_nodes: boxes (`--max-nodes`).
        max_span: the sum over forward edges of the ranks they span.
        max_pixels: the laid-out picture's area at 96 dpi.
        max_width_px: its width at 96 dpi; shown at the report's page width, wider pictures would
            shrink their boxes below the size of the legend's text.
    """

    max_nodes: int = 400
    max_span: int = 20_000
    max_pixels: float = 25e6
    max_width_px: float = 4 * PAGE_WIDTH_PX


def span(g: Graph) -> int:
    """Sum over forward edges of the number of ranks each spans (longest-path ranks)."""
    nodes = {n.id for n in g.nodes}
    succ: dict[str, list[str]] = {}
    indeg = dict.fromkeys(nodes, 0)
    forward = [e for e in g.edges if not e.back and e.src in nodes and e.dst in nodes and e.src != e.dst]
    for e in forward:
        succ.setdefault(e.src, []).append(e.dst)
        indeg[e.dst] += 1
    rank = dict.fromkeys(nodes, 0)
    todo = [n for n, k in indeg.items() if k == 0]
    while todo:
        n = todo.pop()
        for m in succ.get(n, ()):
            rank[m] = max(rank[m], rank[n] + 1)
            indeg[m] -= 1
            if indeg[m] == 0:
                todo.append(m)
    return sum(abs(rank[e.dst] - rank[e.src]) for e in forward)


def over(g: Graph, budget: Budget) -> str | None:
    """Why `g` is too costly to lay out, or None."""
    if len(g.nodes) > budget.max_nodes:
        return f"{len(g.nodes)} boxes, more than --max-nodes {budget.max_nodes}"
    spanned = span(g)
    if spanned > budget.max_span:
        return f"edges spanning {spanned:,} ranks in all (the budget is {budget.max_span:,})"
    return None


def too_big(width_pt: float, height_pt: float, budget: Budget) -> str | None:
    """Why a laid-out picture is too big to read, or None."""
    w, h = width_pt * DPI / 72, height_pt * DPI / 72
    if w * h > budget.max_pixels:
        return f"the picture would be {w * h / 1e6:.1f} megapixels ({w:,.0f} × {h:,.0f} px)"
    if w > budget.max_width_px:
        return f"the picture would be {w:,.0f} px wide, too wide to read at page width"
    return None


def ladder(trace: Trace, view: View) -> Iterator[tuple[View, str]]:
    """Smaller views than `view`, best first, each with what was changed to get it."""
    deepest = max((c.depth for c in trace.calls if c.kind == CallKind.MODULE), default=0)
    if view.unroll:  # one step drawn truthfully beats T steps collapsed
        yield dataclasses.replace(view, unroll=False), "loops and repeated layers rolled"
    start = (deepest if view.depth is None else view.depth) - 1
    for d in range(start, -1, -1):
        how = f"--depth {d}" + (", loops rolled" if view.unroll else "")
        yield dataclasses.replace(view, depth=d, unroll=False), how


@dataclass
class Fitted:
    """A view that fits, what it cost to get there, and the smaller views left to try.

    `rolled` is the record's loops over the calls this view draws, found once and reused by every
    smaller view (they all roll loops).
    """

    graph: Graph
    note: str | None
    smaller: Iterator[tuple[View, str]]
    rolled: Rolling = NO_LOOPS


def _build(trace: Trace, view: View, rolled: Rolling) -> Graph:
    return build(trace, view, NO_LOOPS if view.unroll else rolled)


def fit(trace: Trace, view: View, budget: Budget | int = Budget(), rolled: Rolling | None = None) -> Fitted:
    """The view asked for if it fits the budget, else the first smaller one that does (and a note).

    `rolled`: the analysis's loops of `trace` (`analysis.loops.rolling_for`), when the caller has them.
    """
    if isinstance(budget, int):
        budget = Budget(max_nodes=budget)
    rolled = loops_for(trace, dataclasses.replace(view, unroll=False), rolled)  # once, for every view tried
    g = _build(trace, view, rolled)
    why = over(g, budget)
    steps = ladder(trace, view)
    if why is None:
        return Fitted(g, None, steps, rolled)
    smallest = g
    for smaller, how in steps:
        candidate = _build(trace, smaller, rolled)
        if over(candidate, budget) is None:
            note = f"the diagram would have {why}; drawn with {how} ({len(candidate.nodes)} boxes) instead."
            return Fitted(candidate, note, steps, rolled)
        if len(candidate.nodes) < len(smallest.nodes):
            smallest = candidate
    return Fitted(
        smallest,
        f"the diagram would have {why}; even the smallest view has {len(smallest.nodes)} boxes, which is drawn "
        "with Graphviz's effort limits.",
        iter(()),
        rolled,
    )


def shrink(trace: Trace, fitted: Fitted, why: str, budget: Budget) -> Fitted | None:
    """The next view down after the laid-out picture of `fitted` proved too big to read, or None."""
    for smaller, how in fitted.smaller:
        candidate = _build(trace, smaller, fitted.rolled)
        if over(candidate, budget) is None and len(candidate.nodes) < len(fitted.graph.nodes):
            return Fitted(candidate, f"{why}; drawn with {how} instead.", fitted.smaller, fitted.rolled)
    return None
