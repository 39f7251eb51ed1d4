"""Fit a view to a budget, so that laying it out never takes minutes and the picture stays readable.

Before Graphviz runs, a view's cost is estimated from what makes `dot` slow — boxes, and edges that
span many ranks (long edges are what its crossing minimisation chokes on); after it runs, the picture
is measured. Whatever is over budget is replaced by the next view down a ladder — loops rolled back
up, then modules collapsed one depth at a time — and the user is told what was done. When nothing
fits, the smallest view found is used, never the original.

The automatic view (no `--depth`, no `--unroll`) is also bounded in height: the most detailed view at most
about `SCREENS_PX` tall at 100 % — each depth with full boxes, then compact ones, from the deepest down
to compact boxes at depth 1 — skipping views an estimate puts far over, measuring the rest; its graph's
caption says what was drawn (`drawn with --depth 2 of 5; --depth 5 for all`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from ..kinds import CallKind, Layout, NodeKind
from ..record import NO_LOOPS, Rolling, Trace
from .build import build, loops_for
from .graph import Graph, Node, View, box_outputs, edge_text

DPI = 96
PAGE_WIDTH_PX = 1200  # the report's diagram column
SCREENS_PX = 3000  # the automatic view's height at 100 %: about three screens
_LINE_PT = 12.0  # a lower bound on one text line of a box (its fonts are 9–11 pt)
_RANKSEP_PT = 25.0  # `ranksep=0.35` in dot.py
_ABOUT = 1.05  # "about three screens": a picture up to this much taller is kept (a caption line, a note)
_SLACK = 1.25  # the estimate is rough: views estimated up to this much too tall are laid out and measured


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
    max_height_px: float | None = None  # the automatic view only: the most detailed view this tall at most


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


def too_tall(width_pt: float, height_pt: float, budget: Budget) -> str | None:
    """Why a laid-out picture is too tall for the automatic view, or None."""
    h = height_pt * DPI / 72
    if budget.max_height_px is not None and h > budget.max_height_px * _ABOUT:
        return f"the picture would be {h:,.0f} px tall at 100 % (more than {budget.max_height_px:,.0f})"
    return None


def deepest(trace: Trace) -> int:
    """The depth of the deepest module call: the depth of the view that draws everything."""
    return max((c.depth for c in trace.calls if c.kind == CallKind.MODULE), default=0)


LADDER_TOP = 32  # smaller views start at most this deep: modules nested 3,000 deep are not tried level by level


def ladder(trace: Trace, view: View, compact: bool = False) -> Iterator[tuple[View, str]]:
    """Smaller views than `view`, best first, each with what was changed to get it; with `compact`, each
    depth is tried with full boxes, then with compact ones (name, class, output shapes)."""
    if view.unroll:  # one step drawn truthfully beats T steps collapsed
        yield dataclasses.replace(view, unroll=False), "loops and repeated layers rolled"
    start = min((deepest(trace) if view.depth is None else view.depth) - 1, LADDER_TOP)
    if compact and not view.compact:
        yield dataclasses.replace(view, unroll=False, compact=True), "compact boxes"
    for d in range(start, -1, -1):
        how = f"--depth {d}" + (", loops rolled" if view.unroll else "")
        yield dataclasses.replace(view, depth=d, unroll=False, compact=False), how
        if compact:
            yield dataclasses.replace(view, depth=d, unroll=False, compact=True), how + ", compact boxes"


def tall_pt(g: Graph) -> float:
    """A lower bound on the laid-out height of a top-to-bottom view, in points: the longest chain of boxes
    along forward edges, each box its text lines tall, each edge a rank gap (two, around a label)."""
    nodes = {n.id: n for n in g.nodes}
    succ: dict[str, list[tuple[str, float]]] = {}
    indeg = dict.fromkeys(nodes, 0)
    shown = box_outputs(g)
    for e in g.edges:
        if e.back or e.src == e.dst or e.src not in nodes or e.dst not in nodes:
            continue
        label = edge_text(e, shown)
        gap = _RANKSEP_PT + (_RANKSEP_PT + _LINE_PT * (label.count("\n") + 1) if label else 0.0)
        succ.setdefault(e.src, []).append((e.dst, gap))
        indeg[e.dst] += 1
    top = {n: _box_pt(nodes[n], g.compact) for n in nodes}
    todo = [n for n, k in indeg.items() if k == 0]
    while todo:  # longest path in a DAG, in topological order
        n = todo.pop()
        for m, gap in succ.get(n, ()):
            top[m] = max(top[m], top[n] + gap + _box_pt(nodes[m], g.compact))
            indeg[m] -= 1
            if indeg[m] == 0:
                todo.append(m)
    return max(top.values(), default=0.0)


def _box_pt(n: Node, compact: bool) -> float:
    """A lower bound on a box's height: its text lines (as `draw.dot` writes them) and padding."""
    if n.kind in (NodeKind.MODULE, NodeKind.FUNCTION):
        lines = 1 + max(1, min(len(n.outputs), 2)) if compact else 2 + len(n.inputs) + len(n.outputs) + bool(n.params)
    else:
        lines = 1 + min(len(n.outputs or n.inputs), 4)
    return (lines + len(n.notes)) * _LINE_PT + 6


@dataclass
class Fitted:
    """A view that fits, what it cost to get there, and the smaller views left to try.

    `rolled` is the record's loops over the calls this view draws, found once and reused by every
    smaller view (they all roll loops); `view` is the view drawn.
    """

    graph: Graph
    note: str | None
    smaller: Iterator[tuple[View, str]]
    rolled: Rolling = NO_LOOPS
    view: View | None = None


def _build(trace: Trace, view: View, rolled: Rolling) -> Graph:
    return build(trace, view, NO_LOOPS if view.unroll else rolled)


def estimated(g: Graph, budget: Budget) -> str | None:
    """Why `g` would be too tall for the automatic view even before it is laid out, or None."""
    if budget.max_height_px is None or g.direction != Layout.TB:
        return None
    h = tall_pt(g) * DPI / 72
    if h <= budget.max_height_px * _SLACK:  # near the limit: laid out and measured instead
        return None
    return f"the diagram would be at least {h:,.0f} px tall at 100 % (more than {budget.max_height_px:,.0f})"


def _floor(trace: Trace, view: View) -> bool:
    """Whether `view` is the last the height rule may choose: compact boxes at depth 1 (a single box is
    no overview; only the box and pixel budgets go below it)."""
    depth = deepest(trace) if view.depth is None else view.depth
    return view.compact and depth <= 1


def caption(trace: Trace, view: View) -> str:
    """What the automatic view drew and how to get more: `drawn with --depth 2 of 5; --depth 5 for all`."""
    most = deepest(trace)
    parts = []
    if view.depth is not None and view.depth < most:
        parts.append(f"drawn with --depth {view.depth} of {most}; --depth {most} for all")
    if view.compact:
        parts.append("compact boxes; inputs and parameters in the report's panels")
    return " · ".join(parts)


def _chosen(
    trace: Trace,
    g: Graph,
    view: View,
    note: str | None,
    steps: Iterator[tuple[View, str]],
    rolled: Rolling,
    budget: Budget,
) -> Fitted:
    """A fitted view; the automatic view's graph captioned with what was drawn."""
    if budget.max_height_px is not None:
        g = dataclasses.replace(g, caption=caption(trace, view))
    return Fitted(g, note, steps, rolled, view)


def fit(trace: Trace, view: View, budget: Budget | int = Budget(), rolled: Rolling | None = None) -> Fitted:
    """The view asked for if it fits the budget, else the first smaller one that does (and a note).

    With `budget.max_height_px` (the automatic view), the most detailed view estimated to be at most that
    tall: each depth with full boxes, then compact ones, from the deepest up to compact boxes at depth 1.
    `rolled`: the analysis's loops of `trace` (`analysis.loops.rolling_for`), when the caller has them.
    """
    if isinstance(budget, int):
        budget = Budget(max_nodes=budget)
    rolled = loops_for(trace, dataclasses.replace(view, unroll=False), rolled)  # once, for every view tried
    g = _build(trace, view, rolled)
    costly = over(g, budget)
    why = f"the diagram would have {costly}" if costly else estimated(g, budget)
    steps = ladder(trace, view, compact=budget.max_height_px is not None)
    if why is None:
        return _chosen(trace, g, view, None, steps, rolled, budget)
    smallest = g
    for smaller, how in steps:
        candidate = _build(trace, smaller, rolled)
        if over(candidate, budget) is None and (estimated(candidate, budget) is None or _floor(trace, smaller)):
            note = f"{why}; drawn with {how} ({len(candidate.nodes)} boxes) instead."
            return _chosen(trace, candidate, smaller, note, steps, rolled, budget)
        if len(candidate.nodes) < len(smallest.nodes):
            smallest = candidate
    return Fitted(
        smallest,
        f"{why}; even the smallest view has {len(smallest.nodes)} boxes, which is drawn with Graphviz's effort limits.",
        iter(()),
        rolled,
    )


def shrink(trace: Trace, fitted: Fitted, why: str, budget: Budget, height_only: bool = False) -> Fitted | None:
    """The next view down after the laid-out picture of `fitted` proved too big to read, or None.

    `height_only`: it is only too tall (the automatic view), so the ladder stops at compact boxes at depth 1.
    """
    if height_only and fitted.view is not None and _floor(trace, fitted.view):
        return None
    for smaller, how in fitted.smaller:
        candidate = _build(trace, smaller, fitted.rolled)
        lighter = len(candidate.nodes) < len(fitted.graph.nodes) or (candidate.compact and not fitted.graph.compact)
        if over(candidate, budget) is not None or not lighter:
            continue
        if estimated(candidate, budget) is None or _floor(trace, smaller):
            return _chosen(
                trace, candidate, smaller, f"{why}; drawn with {how} instead.", fitted.smaller, fitted.rolled, budget
            )
    return None
