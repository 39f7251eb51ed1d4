"""View graph -> DOT text: HTML-like labels, clusters, a legend; escaped and deterministic."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from ..kinds import OP_SYMBOLS, ClusterKind, NodeKind, Paint, Theme, op_stem
from ..record.text import printable
from ..view.graph import Cluster, Graph, Node, box_outputs, edge_text
from .escape import esc, quote, tooltip
from .palette import LIGHT, Palette, palette

FONT = "Helvetica,Arial,DejaVu Sans,sans-serif"
COLOURS = LIGHT.kinds  # one colour per kind; the legend is drawn from the palette

LEGEND = (
    (Paint.MODULE, "module"),
    (Paint.OP, "op"),
    (Paint.GATE, "gate (σ, tanh)"),
    (Paint.CELL, "recurrent cell"),
    (Paint.FUNCTION, "torch helper"),
    (Paint.INPUT, "input / output"),
    (Paint.ERROR, "error"),
)


def _wrap(text: str, width: int = 48, limit: int = 6) -> str:
    lines = textwrap.wrap(printable(text), width) or [""]
    if len(lines) > limit:
        lines = [*lines[:limit], "…"]
    return "\n".join(lines)


def _row(text: str, bold: bool = False, colour: str | None = None, size: int | None = None) -> str:
    body = esc(text)
    if bold:
        body = f"<B>{body}</B>"
    if size:
        body = f'<FONT POINT-SIZE="{size}">{body}</FONT>'
    bg = f' BGCOLOR="{colour}"' if colour else ""
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{bg}>{body}</TD></TR>'


def _paint(n: Node) -> Paint:
    return Paint.ERROR if n.error else Paint.GATE if n.gate else Paint(n.kind)


def _node_label(n: Node, pal: Palette = LIGHT, compact: bool = False) -> str:
    """Return a box's HTML-like label: the rows of its kind, then its notes and error, coloured by kind."""
    paint = _paint(n)
    fill, ink = pal.kinds[paint]
    if n.kind == NodeKind.REFERENCE:  # a pointer to a shared input's maker: its name and the shape
        return _table([_row(f"↗ {n.title}", size=9), _row(n.subtitle, size=9)], fill, ink, pad=1)
    rows = _compact_rows(n) if compact and n.kind in _COMPACT else _ROWS.get(n.kind, _op_rows)(n)
    rows += _note_rows(n, pal)
    return _table(rows, fill, ink, pad=2 if n.kind == NodeKind.OP else 3)


def _end_rows(n: Node) -> list[str]:
    """Return the rows of an input or output box: its name, then its tensors."""
    head = n.subtitle if n.kind == NodeKind.OUTPUT else f"{n.title} {n.subtitle}"
    return [_row(head, bold=True), *(_row(s) for s in (n.outputs or n.inputs))]


def _module_rows(n: Node) -> list[str]:
    """Return the rows of a module or torch helper box: name, class, tensors in and out, parameter count."""
    rows = [_row(n.title or n.subtitle, bold=True)]
    rows.append(_row(n.subtitle + (" (collapsed)" if n.collapsed else ""), size=10))
    rows.extend(_row("in  " + s, size=10) for s in n.inputs)
    rows.extend(_row("out " + s, size=10) for s in n.outputs)
    if n.params:
        rows.append(_row(f"params {n.params:,}", size=10))
    return rows


def _compact_rows(n: Node) -> list[str]:
    """Return the rows of a compact module box: name, then class and output shape on one line (two outputs
    at most, then `+N more`); the inputs and parameters are in the report's panel."""
    outs = list(n.outputs[:2]) + ([f"+{len(n.outputs) - 2} more"] if len(n.outputs) > 2 else [])
    kind = n.subtitle + (" (collapsed)" if n.collapsed else "")
    first = f"{kind} → {outs[0]}" if outs else kind
    return [_row(n.title or n.subtitle, bold=True), _row(first, size=10), *(_row(s, size=10) for s in outs[1:])]


def _cell_rows(n: Node) -> list[str]:
    """Return the rows of an opened recurrent cell's box: name, kind, outputs."""
    return [_row(n.title, bold=True), _row(n.subtitle, size=10), *(_row(s, size=9) for s in n.outputs)]


def _op_rows(n: Node) -> list[str]:
    """Return the rows of an op box: its symbol and name (`g = σ` for a gate), then up to four outputs."""
    symbol = OP_SYMBOLS.get(n.title, "")
    name = op_stem(n.title) or n.title
    head = f"{symbol} {name}" if symbol and symbol != name else name
    if n.gate:
        head = f"{n.gate} = {symbol or name}"
    return [_row(head, bold=True), *(_row(s, size=9) for s in n.outputs[:4])]


_ROWS: dict[NodeKind, Callable[[Node], list[str]]] = {
    NodeKind.INPUT: _end_rows,
    NodeKind.OUTPUT: _end_rows,
    NodeKind.MODULE: _module_rows,
    NodeKind.FUNCTION: _module_rows,
    NodeKind.CELL: _cell_rows,
}  # every other kind is an op
_COMPACT = (NodeKind.MODULE, NodeKind.FUNCTION)


def _note_rows(n: Node, pal: Palette) -> list[str]:
    """Return the rows that end any box: its notes, whether its shapes vary over the loop, its error."""
    rows = [_row(note, size=9) for note in n.notes]
    if n.varies:  # the loop cluster says ×T; only say so here when steps differ in shape
        rows.append(_row(f"shapes vary over the {n.repeat} steps; step 1 shown", size=9))
    if n.error:
        rows.append(_row(_wrap(n.error), colour=pal.error_row, size=9))
    return rows


def _table(rows: list[str], fill: str, ink: str, pad: int) -> str:
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{pad}" STYLE="ROUNDED" '
        f'BGCOLOR="{fill}" COLOR="{ink}">{"".join(rows)}</TABLE>>'
    )


def _node_line(n: Node, indent: str, links: dict[str, str], pal: Palette, compact: bool = False) -> str:
    tip = f"{n.title} ({n.subtitle})" if n.subtitle else n.title
    if n.error:  # the box shows the message's first lines; its tooltip up to MESSAGE_CHARS of it
        tip += "\n" + n.error
    link = links.get(n.id) or (f"#{n.refers}" if n.refers else None)
    href = f', href={quote(link)}, target="_top"' if link else ""
    return (
        f"{indent}{quote(n.id)} [id={quote(n.id)}, label={_node_label(n, pal, compact)}, tooltip={tooltip(tip)}{href}];"
    )


def _cluster_open(c: Cluster, indent: str, links: dict[str, str], pal: Palette) -> list[str]:
    if c.kind == ClusterKind.LOOP:
        style = f'style="dashed,rounded"; color="{pal.loop}"; fontcolor="{pal.loop}"'
    elif c.kind == ClusterKind.REPEAT:
        style = f'style="dashed,rounded,bold"; color="{pal.repeat}"; fontcolor="{pal.repeat}"'
    else:
        colour = pal.kinds[Paint.ERROR][1] if c.error else pal.frame
        style = f'style="rounded"; color="{colour}"; fontcolor="{pal.label}"'
    link = f' href={quote(links[c.id])}; target="_top";' if c.id in links else ""
    return [
        f"{indent}subgraph {quote('cluster_' + c.id)} {{",
        f"{indent}  id={quote(c.id)}; label=<{esc(c.label)}>; labeljust=l; {style};{link}",
    ]


def to_dot(
    graph: Graph, *, legend: bool = True, theme: Theme = Theme.LIGHT, links: dict[str, str] | None = None
) -> str:
    """Return the DOT text of `graph`; the same graph always gives the same bytes.

    Args:
        graph: the view graph.
        legend: add a legend cluster explaining the colours.
        theme: `light`, `dark` or `transparent` page background.
        links: node id -> relative href (drill-in gate diagrams).
    """
    links = links or {}
    pal = palette(theme)
    ink = f', fontcolor="{pal.text}"' if pal.text else ""
    lines = [
        "digraph archviz {",
        (
            f'  graph [rankdir={graph.direction}, bgcolor="{pal.page}", fontname="{FONT}", fontsize=12, '
            f'fontcolor="{pal.title}", labelloc=t, labeljust=l, label=<{_title(graph, pal)}>, '
            f"nodesep=0.25, ranksep=0.35, newrank=true{_effort(graph)}];"
        ),
        f'  node [shape=plain, fontname="{FONT}", fontsize=11{ink}];',
        f'  edge [fontname="{FONT}", fontsize=9, color="{pal.edge}", fontcolor="{pal.label}", arrowsize=0.7];',
    ]
    members: dict[str | None, list[Node]] = {}
    for n in graph.nodes:
        members.setdefault(n.cluster, []).append(n)
    sub: dict[str | None, list[Cluster]] = {}
    for c in graph.clusters:
        sub.setdefault(c.parent, []).append(c)

    def emit(cluster_id: str | None, indent: str) -> None:
        for c in sub.get(cluster_id, []):
            lines.extend(_cluster_open(c, indent, links, pal))
            emit(c.id, indent + "  ")
            lines.append(indent + "}")
        lines.extend(_node_line(n, indent, links, pal, graph.compact) for n in members.get(cluster_id, []))

    emit(None, "  ")
    shown = box_outputs(graph)
    for e in graph.edges:
        attrs = [f"label={quote(edge_text(e, shown))}"] + ([f"id={quote(e.id)}"] if e.id else [])
        if e.back:
            attrs += ["constraint=false", 'style="dashed"', f'color="{pal.loop}"', f'fontcolor="{pal.loop}"']
        lines.append(f"  {quote(e.src)} -> {quote(e.dst)} [{', '.join(attrs)}];")
    if legend:
        lines.extend(_legend(graph, pal))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _title(graph: Graph, pal: Palette) -> str:
    """The title in bold (long lines folded, not cut), then the graph's notes (a failure of the model's
    own forward, which no box shows) in the error colour, wrapped. User text never goes in a DOT comment."""
    text = f"<B>{esc(graph.title, fold=True)}</B>"
    if graph.caption:  # which view this is and how to get more
        text += f'<BR ALIGN="LEFT"/><FONT POINT-SIZE="10">{esc(_wrap(graph.caption, 100))}</FONT>'
    ink = pal.kinds[Paint.ERROR][1]
    for note in graph.notes:
        text += f'<BR ALIGN="LEFT"/><FONT COLOR="{ink}" POINT-SIZE="10">{esc(_wrap(note, 100))}</FONT>'
    if graph.left_out:  # no failure: said in the page's own colour
        text += f'<BR ALIGN="LEFT"/><FONT COLOR="{pal.label}" POINT-SIZE="10">{esc(_wrap(graph.left_out, 100))}</FONT>'
    return text


def _effort(graph: Graph) -> str:
    """Graphviz's effort limits for a large view: bounded crossing minimisation and network simplex
    (measured on the unrolled 6.7 B decoder, 1,744 boxes: 2.1 s without, 0.9 s with)."""
    if len(graph.nodes) <= 200 and len(graph.edges) <= 400:
        return ""
    return ", mclimit=0.3, nslimit=2, nslimit1=2"


def _paints(graph: Graph) -> set[Paint]:
    """The colour classes the diagram uses: the legend explains only these."""
    used = {_paint(n) for n in graph.nodes}
    if Paint.OUTPUT in used:
        used.add(Paint.INPUT)  # one row says "input / output"
    if any(c.error for c in graph.clusters):
        used.add(Paint.ERROR)
    return used


def _legend(graph: Graph, pal: Palette = LIGHT) -> list[str]:
    used = _paints(graph)
    rows = "".join(
        f'<TR><TD BGCOLOR="{pal.kinds[k][0]}" WIDTH="14"> </TD><TD ALIGN="LEFT">{esc(text)}</TD></TR>'
        for k, text in LEGEND
        if k in used
    )
    if any(e.back for e in graph.edges) and any(not lp.repeat for lp in graph.loops):
        rows += f'<TR><TD><FONT COLOR="{pal.loop}">- -&gt;</FONT></TD><TD ALIGN="LEFT">loop state ×T</TD></TR>'
    if any(c.kind == ClusterKind.REPEAT for c in graph.clusters):  # the rest only when drawn
        rows += f'<TR><TD><FONT COLOR="{pal.repeat}">[ ]</FONT></TD><TD ALIGN="LEFT">repeated layers ×N</TD></TR>'
    if any(n.kind == NodeKind.REFERENCE for n in graph.nodes):
        rows += '<TR><TD>↗</TD><TD ALIGN="LEFT">shared input, drawn where it is read</TD></TR>'
    table = f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{rows}</TABLE>>'
    # The legend's text sits on the page: the light theme keeps Graphviz's black, the others their label colour.
    light = pal is LIGHT
    frame_ink = "" if light else f' fontcolor="{pal.label}";'
    node_ink = "" if light else f', fontcolor="{pal.label}"'
    border = "#cbd5e1" if light else pal.frame
    return [
        '  subgraph "cluster_legend" {',
        f'    id="legend"; label="legend"; style="rounded"; color="{border}"; fontsize=10;{frame_ink}',
        f'    "legend" [id="legend-table", label={table}, fontsize=9{node_ink}];',
        "  }",
    ]
