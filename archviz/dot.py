"""View graph -> DOT text (escaped, deterministic), and the Graphviz call that lays it out."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import textwrap

from .errors import RenderError
from .graph import INPUT, OUTPUT, Cluster, Graph, Node
from .record import FUNCTION, MODULE

FONT = "Helvetica,Arial,DejaVu Sans,sans-serif"

# One colour per kind; the legend is drawn from this table.
COLOURS = {
    MODULE: ("#dbeafe", "#1e3a8a"),
    "op": ("#f1f5f9", "#334155"),
    FUNCTION: ("#fef3c7", "#92400e"),
    INPUT: ("#dcfce7", "#166534"),
    OUTPUT: ("#dcfce7", "#166534"),
    "error": ("#fecaca", "#991b1b"),
    "gate": ("#fde68a", "#92400e"),
    "cell": ("#ede9fe", "#5b21b6"),
}
LEGEND = (
    (MODULE, "module"), ("op", "op"), ("gate", "gate (σ, tanh)"), ("cell", "recurrent cell"),
    (FUNCTION, "torch helper"), (INPUT, "input / output"), ("error", "error"),
)  # fmt: skip
_OP_SYMBOLS = {
    "sigmoid": "σ",
    "tanh": "tanh",
    "mul": "⊙",
    "__mul__": "⊙",
    "__rmul__": "⊙",
    "add": "+",
    "__add__": "+",
    "__radd__": "+",
    "sub": "−",
    "__sub__": "−",
    "__rsub__": "−",
    "matmul": "@",
    "__matmul__": "@",
}


def esc(text: str) -> str:
    """Escape text for a Graphviz HTML-like label; newlines become line breaks."""
    return html.escape(text, quote=True).replace("\n", '<BR ALIGN="LEFT"/>')


def quote(text: str) -> str:
    """Quote a DOT id or attribute string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrap(text: str, width: int = 48, limit: int = 6) -> str:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > limit:
        lines = lines[:limit] + ["…"]
    return "\n".join(lines)


def _row(text: str, bold: bool = False, colour: str | None = None, size: int | None = None) -> str:
    body = esc(text)
    if bold:
        body = f"<B>{body}</B>"
    if size:
        body = f'<FONT POINT-SIZE="{size}">{body}</FONT>'
    bg = f' BGCOLOR="{colour}"' if colour else ""
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{bg}>{body}</TD></TR>'


def _node_label(n: Node) -> str:
    kind = "error" if n.error else "gate" if n.gate else n.kind
    fill, ink = COLOURS.get(kind, COLOURS[MODULE])
    rows: list[str] = []
    if n.kind in (INPUT, OUTPUT):
        rows.append(_row(n.subtitle if n.subtitle in ("output",) else f"{n.title} {n.subtitle}", bold=True))
        rows.extend(_row(s) for s in (n.outputs or n.inputs))
    elif n.kind == MODULE or n.kind == FUNCTION:
        rows.append(_row(n.title or n.subtitle, bold=True))
        rows.append(_row(n.subtitle + (" (collapsed)" if n.collapsed else ""), size=10))
        rows.extend(_row("in  " + s, size=10) for s in n.inputs)
        rows.extend(_row("out " + s, size=10) for s in n.outputs)
        if n.params:
            rows.append(_row(f"params {n.params:,}", size=10))
    elif n.kind == "cell":
        rows.append(_row(n.title, bold=True))
        rows.append(_row(n.subtitle, size=10))
        rows.extend(_row(s, size=9) for s in n.outputs)
    else:
        symbol = _OP_SYMBOLS.get(n.title, "")
        name = n.title.strip("_") or n.title
        head = f"{symbol} {name}" if symbol and symbol != name else name
        if n.gate:
            head = f"{n.gate} = {symbol or name}"
        rows.append(_row(head, bold=True))
        rows.extend(_row(s, size=9) for s in n.outputs[:4])
    rows.extend(_row(note, size=9) for note in n.notes)
    if n.varies:  # the loop cluster says ×T; only say so here when steps differ in shape
        rows.append(_row(f"shapes vary over the {n.repeat} steps; step 1 shown", size=9))
    if n.error:
        rows.append(_row(_wrap(n.error), colour="#fee2e2", size=9))
    table = "".join(rows)
    pad = 2 if n.kind == "op" else 3
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{pad}" STYLE="ROUNDED" '
        f'BGCOLOR="{fill}" COLOR="{ink}">{table}</TABLE>>'
    )


def _node_line(n: Node, indent: str, links: dict[str, str]) -> str:
    tooltip = f"{n.title} ({n.subtitle})" if n.subtitle else n.title
    link = links.get(n.id)
    href = f", href={quote(link)}, target=\"_top\"" if link else ""
    return f"{indent}{quote(n.id)} [id={quote(n.id)}, label={_node_label(n)}, tooltip={quote(tooltip)}{href}];"


def _cluster_open(c: Cluster, indent: str, links: dict[str, str]) -> list[str]:
    if c.kind == "loop":
        style = 'style="dashed,rounded"; color="#c2410c"; fontcolor="#c2410c"'
    else:
        colour = COLOURS["error"][1] if c.error else "#94a3b8"
        style = f'style="rounded"; color="{colour}"; fontcolor="#334155"'
    link = f" href={quote(links[c.id])}; target=\"_top\";" if c.id in links else ""
    return [
        f"{indent}subgraph {quote('cluster_' + c.id)} {{",
        f"{indent}  id={quote(c.id)}; label=<{esc(c.label)}>; labeljust=l; {style};{link}",
    ]


def to_dot(graph: Graph, *, legend: bool = True, theme: str = "light", links: dict[str, str] | None = None) -> str:
    """Return the DOT text of `graph`; the same graph always gives the same bytes.

    Args:
        graph: the view graph.
        legend: add a legend cluster explaining the colours.
        theme: `light`, `dark` or `transparent` page background.
        links: node id -> relative href (drill-in gate diagrams).
    """
    links = links or {}
    bg = {"light": "white", "dark": "#0f172a", "transparent": "transparent"}.get(theme, "white")
    title_ink = "#e2e8f0" if theme == "dark" else "#0f172a"
    lines = [
        "digraph archviz {",
        f'  graph [rankdir={graph.direction}, bgcolor="{bg}", fontname="{FONT}", fontsize=12, '
        f'fontcolor="{title_ink}", labelloc=t, labeljust=l, label=<<B>{esc(graph.title)}</B>>, '
        "nodesep=0.25, ranksep=0.35, newrank=true];",
        f'  node [shape=plain, fontname="{FONT}", fontsize=11];',
        f'  edge [fontname="{FONT}", fontsize=9, color="#475569", fontcolor="#334155", arrowsize=0.7];',
    ]
    members: dict[str | None, list[Node]] = {}
    for n in graph.nodes:
        members.setdefault(n.cluster, []).append(n)
    sub: dict[str | None, list[Cluster]] = {}
    for c in graph.clusters:
        sub.setdefault(c.parent, []).append(c)

    def emit(cluster_id: str | None, indent: str) -> None:
        for c in sub.get(cluster_id, []):
            lines.extend(_cluster_open(c, indent, links))
            emit(c.id, indent + "  ")
            lines.append(indent + "}")
        lines.extend(_node_line(n, indent, links) for n in members.get(cluster_id, []))

    emit(None, "  ")
    for e in graph.edges:
        attrs = [f"label={quote(e.label)}"]
        if e.back:
            attrs += ["constraint=false", 'style="dashed"', 'color="#c2410c"', 'fontcolor="#c2410c"']
        lines.append(f"  {quote(e.src)} -> {quote(e.dst)} [{', '.join(attrs)}];")
    for note in graph.notes:
        lines.append(f"  // note: {note.replace(chr(10), ' ')}")
    if legend:
        lines.extend(_legend())
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend() -> list[str]:
    rows = "".join(
        f'<TR><TD BGCOLOR="{COLOURS[k][0]}" WIDTH="14"> </TD><TD ALIGN="LEFT">{esc(text)}</TD></TR>' for k, text in LEGEND
    )
    rows += '<TR><TD><FONT COLOR="#c2410c">- -&gt;</FONT></TD><TD ALIGN="LEFT">loop state ×T</TD></TR>'
    return [
        '  subgraph "cluster_legend" {',
        '    id="legend"; label="legend"; style="rounded"; color="#cbd5e1"; fontsize=10;',
        f'    "legend" [id="legend-table", label=<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{rows}</TABLE>>, fontsize=9];',
        "  }",
    ]


def _program(fmt: str) -> str:
    """The layout program: system `dot`, else `graphviz-pure` (the `standalone` extra, no PDF)."""
    exe = shutil.which("dot")
    if exe is not None:
        return exe
    pure = shutil.which("graphviz-pure")
    if pure is not None and fmt != "pdf":
        return pure
    extra = " (graphviz-pure cannot write PDF; install Graphviz for --format pdf)" if pure else ""
    raise RenderError(
        "Graphviz's `dot` program was not found on PATH, so the diagram could not be laid out "
        f"(the .dot file was written){extra}. Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
        "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`; or install the "
        "standalone extra, `pip install 'archviz[standalone]'`, for SVG and PNG without Graphviz."
    )


def render(dot_text: str, fmt: str, *, timeout: float = 120.0) -> bytes:
    """Lay out DOT text and return the `fmt` (svg, png, pdf) bytes.

    Graphviz runs as a subprocess with a time limit, so a layout that would take minutes
    becomes a clear error instead of a hang.
    """
    exe = _program(fmt)
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(
            f"Graphviz took longer than {timeout:.0f} s to lay out the diagram; draw less with `--depth N` "
            "or keep loops rolled (no `--unroll`)."
        ) from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"Graphviz `{os.path.basename(exe)} -T{fmt}` failed with status {done.returncode}: {err[:500]}")
    return done.stdout
