"""One recurrent cell -> a colah-style DOT diagram: gate boxes, round pointwise nodes, the state line.

Inputs x_t / h_{t-1} / c_{t-1} on the left, h_t / c_t on the right, the cell state drawn as one
heavy straight line, the recurrent back edges dashed with `×T`, and the gate table underneath.
"""

from __future__ import annotations

from ..kinds import Paint, Theme, WireKind
from ..record import Cell, WireEdge, WireNode, shape_text
from .dot import FONT
from .escape import esc, quote, tooltip
from .palette import LIGHT, Palette, palette


def cell_title(cell: Cell) -> str:
    """`lstm · layer 1 · reverse · LSTM · ×12 steps`."""
    parts = [cell.path or "model", "custom cell" if cell.custom else cell.kind]
    if cell.direction:
        parts[1:1] = [f"layer {cell.layer}", cell.direction]
    if cell.steps > 1:
        parts.append(f"×{cell.steps} steps")
    return " · ".join(parts)


def _node(n: WireNode, prefix: str, pal: Palette = LIGHT) -> str:
    shape = shape_text(n.shape) if n.shape else ""
    if n.kind in (WireKind.INPUT, WireKind.OUTPUT):
        fill, ink = pal.kinds[Paint.INPUT]
        label = f'<<B>{esc(n.label)}</B><BR/><FONT POINT-SIZE="9">{esc(shape)}</FONT>>'
        attrs = f'shape=box, style="rounded,filled", fillcolor="{fill}", color="{ink}"'
    elif n.kind == WireKind.POINTWISE:
        fill, ink = pal.kinds[Paint.POINTWISE]
        label = f"<{esc(n.label)}>"
        attrs = f'shape=circle, width=0.35, fixedsize=true, style=filled, fillcolor="{fill}", color="{ink}"'
        if n.name and pal is LIGHT:
            attrs += f", xlabel={quote(n.name)}"
        elif n.name:  # the name sits on the page, the symbol on the circle: each in its own colour
            attrs += f', xlabel=<<FONT COLOR="{pal.label}">{esc(n.name)}</FONT>>'
    elif n.kind == WireKind.GATE:
        fill, ink = pal.kinds[Paint.GATE]
        head = f"{n.name}: {n.label}" if n.name else n.label
        label = f'<<B>{esc(head)}</B><BR/><FONT POINT-SIZE="9">{esc(shape)}</FONT>>'
        attrs = f'shape=box, style="filled", fillcolor="{fill}", color="{ink}"'
    else:
        fill, ink = pal.kinds[Paint.MODULE if n.kind == WireKind.LINEAR else Paint.OP]
        name = f"{n.name}: " if n.name and n.kind != WireKind.LINEAR else ""
        label = f'<<B>{esc(name + n.label)}</B><BR/><FONT POINT-SIZE="9">{esc(shape)}</FONT>>'
        attrs = f'shape=box, style="rounded,filled", fillcolor="{fill}", color="{ink}"'
    tip = n.detail or n.label
    return f"  {quote(prefix + n.id)} [label={label}, {attrs}, tooltip={tooltip(tip)}];"


def _table(cell: Cell) -> str:
    head = "".join(f"<TD><B>{h}</B></TD>" for h in ("gate", "activation", "output"))
    rows = [f'<TR>{head}<TD ALIGN="LEFT"><B>weights</B></TD></TR>']
    for g in cell.gates:
        weights = '<BR ALIGN="LEFT"/>'.join(esc(w) for w in g.weights) or "—"
        rows.append(
            f"<TR><TD>{esc(g.name)}</TD><TD>{esc(g.activation)}</TD><TD>{esc(shape_text(g.shape))}</TD>"
            f'<TD ALIGN="LEFT" BALIGN="LEFT">{weights}</TD></TR>'
        )
    for note in cell.notes:
        rows.append(f'<TR><TD COLSPAN="4" ALIGN="LEFT">{esc(note)}</TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>>"


def cell_dot(cell: Cell, theme: Theme | str = Theme.LIGHT) -> str:
    """DOT text of one cell's wiring (or an opaque box saying why it is not drawn)."""
    pal = palette(theme)
    lines = _head(cell, pal)
    if not cell.nodes:
        lines.append(_opaque(cell, pal))
    lines.extend(_node(n, "", pal) for n in cell.nodes)
    lines.extend(_edge(e, cell.steps, pal) for e in cell.edges)
    inputs = _ids(cell, WireKind.INPUT)
    lines.extend(_rank("min", inputs) + _rank("max", _ids(cell, WireKind.OUTPUT)))
    if cell.gates or cell.notes:
        lines.extend(_gate_table(cell, pal, inputs))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _head(cell: Cell, pal: Palette) -> list[str]:
    """Open the graph: its title and the default node and edge attributes."""
    page = "" if pal is LIGHT else f', bgcolor="{pal.page}", fontcolor="{pal.title}"'
    ink = "" if pal is LIGHT else f', fontcolor="{pal.text or "black"}"'
    return [
        "digraph cell {",
        (
            f'  graph [rankdir=LR, fontname="{FONT}", fontsize=12, labelloc=t, labeljust=l, '
            f"label=<<B>{esc(cell_title(cell), fold=True)}</B>>, nodesep=0.3, ranksep=0.35, newrank=true{page}];"
        ),
        f'  node [fontname="{FONT}", fontsize=10{ink}];',
        f'  edge [fontname="{FONT}", fontsize=8, color="{pal.edge}", fontcolor="{pal.label}", arrowsize=0.6];',
    ]


def _opaque(cell: Cell, pal: Palette) -> str:
    """Draw a cell without wiring as one box in the error colour that says why."""
    fill, ink = pal.kinds[Paint.ERROR]
    why = "; ".join(cell.notes) or "wiring not available"
    return (
        f'  "opaque" [shape=box, style="rounded,filled", fillcolor="{fill}", color="{ink}", '
        f"label=<<B>{esc(cell.path)}: {esc(cell.kind)}</B><BR/>{esc(why)}>];"
    )


def _edge(e: WireEdge, steps: int, pal: Palette) -> str:
    """Draw one edge with its shape: the recurrent back edge dashed with ×T, the cell-state line heavy."""
    label = shape_text(e.shape) if e.shape else ""
    attrs = []
    if e.back:
        label += f" ×{steps}" if steps > 1 else ""
        attrs += ["constraint=false", 'style="dashed"', f'color="{pal.loop}"', f'fontcolor="{pal.loop}"']
    elif e.state:
        attrs += ["weight=20", "penwidth=2.5", f'color="{pal.title}"']
    return f"  {quote(e.src)} -> {quote(e.dst)} [label={quote(label)}{''.join(', ' + a for a in attrs)}];"


def _ids(cell: Cell, kind: WireKind) -> list[str]:
    """Return the ids of the cell's nodes of one kind, in drawing order."""
    return [n.id for n in cell.nodes if n.kind == kind]


def _rank(rank: str, ids: list[str]) -> list[str]:
    """Pin `ids` to one side of the diagram (`min` left, `max` right); nothing when there are none."""
    return ["  { rank=" + rank + "; " + " ".join(quote(i) for i in ids) + " }"] if ids else []


def _gate_table(cell: Cell, pal: Palette, inputs: list[str]) -> list[str]:
    """Draw the gate table as a plain node, tied to the last input by an invisible edge."""
    table_ink = "" if pal is LIGHT else f', fontcolor="{pal.label}"'  # the table stands on the page
    lines = [f'  "gate_table" [shape=plain, label={_table(cell)}{table_ink}];']
    if inputs:
        lines.append(f'  {quote(inputs[-1])} -> "gate_table" [style=invis];')
    return lines
