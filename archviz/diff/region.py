"""The changed region of a marked diagram, as a mermaid flowchart for the Markdown comment: the marked
boxes, the boxes inside marked frames, their neighbours one edge away, and the frames around them."""

from __future__ import annotations

import dataclasses

from ..draw import mermaid
from ..view.graph import Graph
from .diagram import Marked, edge_mark

MAX_BOXES = 60  # a PR comment's flowchart stays readable; the SVG has the whole model


def region(m: Marked) -> Graph | None:
    """The part of `m.graph` around the marks; None when nothing is marked."""
    g = m.graph
    keep = _core(m)
    if not keep:
        return None
    for e in g.edges:
        if e.src in keep or e.dst in keep:
            keep.update((e.src, e.dst))
    ordered = [n for n in g.nodes if n.id in keep][:MAX_BOXES]
    ids = {n.id for n in ordered}
    clusters = _with_parents(g, {n.cluster for n in ordered if n.cluster is not None})
    return dataclasses.replace(
        g,
        nodes=tuple(ordered),
        edges=tuple(e for e in g.edges if e.src in ids and e.dst in ids),
        clusters=tuple(c for c in g.clusters if c.id in clusters),
    )


def _core(m: Marked) -> set[str]:
    """Marked boxes, boxes in marked frames, and the ends of marked edges."""
    inside = _inside_clusters(m.graph, set(m.clusters))
    core = {n.id for n in m.graph.nodes if n.id in m.nodes or n.cluster in inside}
    return core | {n for e in m.graph.edges if (e.src, e.dst) in m.edges for n in (e.src, e.dst)}


def _inside_clusters(g: Graph, marked: set[str]) -> set[str]:
    """`marked` frames and every frame nested in one."""
    out = set(marked)
    grew = True
    while grew:
        more = {c.id for c in g.clusters if c.parent in out and c.id not in out}
        out |= more
        grew = bool(more)
    return out


def _with_parents(g: Graph, ids: set[str]) -> set[str]:
    parent = {c.id: c.parent for c in g.clusters}
    out: set[str] = set()
    for cid in ids:
        cur: str | None = cid
        while cur is not None and cur not in out:
            out.add(cur)
            cur = parent.get(cur)
    return out


def region_mermaid(m: Marked) -> str:
    """The mermaid text of the changed region ('' when nothing is marked)."""
    g = region(m)
    if g is None:
        return ""
    marks = {(e.src, e.dst): mark for e in g.edges if (mark := edge_mark(m, e)) is not None}
    return mermaid.to_mermaid(g, m.nodes, marks, m.clusters)
