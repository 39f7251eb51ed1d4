"""View graph -> a mermaid flowchart, the diagram code-hosting sites draw inline in Markdown.

Boxes say what the SVG's boxes say (name, class, output shapes), frames become subgraphs, edges carry
their shapes. Text is escaped with mermaid's entity codes (`#quot;`, `#lt;`); ids are made here
(`n0`, `c0`), never taken from user text. Optional diff marks colour boxes and edges.
"""

from __future__ import annotations

from ..kinds import NodeKind, Paint, op_stem
from ..record.text import printable
from ..view.graph import Graph, Node
from .marks import MARKS
from .palette import LIGHT

LABEL_LINES = 6  # rows per box: the rest is in the SVG and the report
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;", "|": "#124;"}


def text(s: str) -> str:
    """`s` safe inside a quoted mermaid label: entity codes for what mermaid or HTML would read."""
    out = "".join(_ENTITIES.get(ch, ch) for ch in printable(s))
    return " ".join(out.split())


def _lines(n: Node) -> list[str]:
    if n.kind in (NodeKind.INPUT, NodeKind.OUTPUT):
        head = n.subtitle if n.kind == NodeKind.OUTPUT else f"{n.title} {n.subtitle}"
        return [head, *(n.outputs or n.inputs)]
    if n.kind in (NodeKind.MODULE, NodeKind.FUNCTION, NodeKind.CELL):
        return [n.title or n.subtitle, n.subtitle, *n.outputs, *n.notes]
    return [op_stem(n.title) or n.title, *n.outputs, *n.notes]


def _label(n: Node) -> str:
    rows = [r for r in _lines(n) if r][:LABEL_LINES]
    return "<br/>".join(text(r) for r in rows)


def _paint(n: Node) -> Paint:
    return Paint.ERROR if n.error else Paint.GATE if n.gate else Paint(n.kind)


def to_mermaid(
    graph: Graph,
    marks: dict[str, str] | None = None,
    edge_marks: dict[tuple[str, str], str] | None = None,
    cluster_marks: dict[str, str] | None = None,
) -> str:
    """The mermaid text of `graph`; the same graph always gives the same text.

    Args:
        graph: the view graph.
        marks: node id -> `added`, `removed`, `changed` or `renamed` (a diff).
        edge_marks: (src, dst) node ids -> mark of the edge (`changed`: its shape; `added`, `removed`).
        cluster_marks: cluster id -> mark, for frames (a repeated stack whose count changed).
    """
    ids = {n.id: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = [f"flowchart {'LR' if str(graph.direction) == 'LR' else 'TB'}", *_boxes(graph, ids)]
    styled: list[tuple[int, str]] = []
    for k, e in enumerate(graph.edges):
        if e.src not in ids or e.dst not in ids:
            continue
        arrow = "-.->" if e.back else "-->"
        label = f'|"{text(e.label)}"|' if e.label else ""
        lines.append(f"  {ids[e.src]} {arrow}{label} {ids[e.dst]}")
        if edge_marks and (e.src, e.dst) in edge_marks:
            styled.append((k, edge_marks[(e.src, e.dst)]))
    lines += _classes(graph, ids, marks or {})
    cids = {c.id: f"c{i}" for i, c in enumerate(graph.clusters)}
    for cid, mark in sorted((cluster_marks or {}).items()):
        if cid in cids:
            dash = f",stroke-dasharray:{MARKS[mark].dash}" if MARKS[mark].dash else ""
            lines.append(f"  style {cids[cid]} stroke:{MARKS[mark].light},stroke-width:3px{dash}")
    for k, mark in _link_numbers(graph, ids, styled):
        dash = f",stroke-dasharray:{MARKS[mark].dash}" if MARKS[mark].dash else ""
        lines.append(f"  linkStyle {k} stroke:{MARKS[mark].light},stroke-width:3px{dash}")
    return "\n".join(lines) + "\n"


def _boxes(graph: Graph, ids: dict[str, str]) -> list[str]:
    """Frames as nested subgraphs (`c0`, …) and the boxes in them, in the graph's order."""
    cids = {c.id: f"c{i}" for i, c in enumerate(graph.clusters)}
    members: dict[str | None, list[Node]] = {}
    for n in graph.nodes:
        members.setdefault(n.cluster if n.cluster in cids else None, []).append(n)
    sub: dict[str | None, list[str]] = {}
    for c in graph.clusters:
        sub.setdefault(c.parent if c.parent in cids else None, []).append(c.id)
    labels = {c.id: c.label for c in graph.clusters}
    lines: list[str] = []

    def emit(cluster: str | None, indent: str) -> None:
        for cid in sub.get(cluster, []):
            lines.append(f'{indent}subgraph {cids[cid]}["{text(labels[cid])}"]')
            emit(cid, indent + "  ")
            lines.append(f"{indent}end")
        for n in members.get(cluster, []):
            lines.append(f'{indent}{ids[n.id]}["{_label(n)}"]')

    emit(None, "  ")
    return lines


def _link_numbers(graph: Graph, ids: dict[str, str], styled: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """mermaid numbers links in the order written: edges with both ends drawn."""
    written = [k for k, e in enumerate(graph.edges) if e.src in ids and e.dst in ids]
    place = {k: i for i, k in enumerate(written)}
    return [(place[k], mark) for k, mark in styled]


def _classes(graph: Graph, ids: dict[str, str], marks: dict[str, str]) -> list[str]:
    """classDef per kind of box (the light palette, dark text: legible on either page) and per diff mark."""
    out = []
    by_paint: dict[Paint, list[str]] = {}
    for n in graph.nodes:
        by_paint.setdefault(_paint(n), []).append(ids[n.id])
    for paint in sorted(by_paint):
        fill, border = LIGHT.kinds[paint]
        out.append(f"  classDef k_{paint} fill:{fill},stroke:{border},color:#0f172a")
        out.append(f"  class {','.join(by_paint[paint])} k_{paint}")
    for name, mark in MARKS.items():
        marked = [ids[nid] for nid, m in marks.items() if m == name and nid in ids]
        if marked:
            dash = f",stroke-dasharray:{mark.dash}" if mark.dash else ""
            out.append(f"  classDef d_{name} stroke:{mark.light},stroke-width:3px{dash}")
            out.append(f"  class {','.join(sorted(marked, key=lambda s: int(s[1:])))} d_{name}")
    return out
