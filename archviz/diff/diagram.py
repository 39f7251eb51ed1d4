"""NEW's diagram with the diff marked: boxes and frames added, changed or renamed outlined in their mark's
colour and line style (a word in the box says what), edges whose shape changed drawn thick, and what was
removed drawn as dashed ghosts where it was, wired to the boxes it read from and fed; plus a legend.

NEW's view is built as `render` builds it (rolled loops, the same budget); a call folded onto an earlier
loop step is drawn by that step, so one more repeated layer marks the repeat's frame (`×11 → ×12`), not
a box. The DOT is the ordinary renderer's, with the marks set on its nodes and frames after it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..analysis.loops import rolling_for
from ..draw import dot
from ..draw.escape import esc, quote
from ..draw.marks import MARKS, ORDER, stronger
from ..draw.palette import LIGHT, palette
from ..kinds import CallKind, NodeKind, Theme
from ..record import Call, Trace, shape_text
from ..view.fit import Budget, fit
from ..view.graph import Edge, Graph, Node, View
from . import calls, counts
from .grouping import general
from .modules import match, modules
from .result import Diff

MAX_GHOSTS = 40  # removed boxes drawn; more are listed in the report only
NOTE_CHARS = 60


@dataclass(frozen=True)
class Marked:
    """NEW's view graph with ghosts added, and the marks of its boxes, frames and edges."""

    graph: Graph
    nodes: dict[str, str]
    clusters: dict[str, str]
    edges: set[tuple[str, str]]


def marked(old: Trace, new: Trace, d: Diff, view: View | None = None, budget: Budget | None = None) -> Marked:
    """NEW's view (`render`'s default, fitted to its budget) with every mark of `d` placed on what draws it."""
    fitted = fit(new, view or View(), budget or Budget(), rolling_for(new))
    g = fitted.graph
    rolled = {lp.id for lp in g.loops}
    folded = {
        c for c, places in fitted.rolled.within.items() if any(lid in rolled and step > 0 for lid, step in places)
    }
    where = _Where(new, g, folded)
    nodes: dict[str, str] = {}
    clusters: dict[str, str] = {}
    for ref, mark in d.marks:
        side, _, cid = ref.partition(":")
        if side != "new":
            continue
        target, exact = where.of(cid)
        if target is None:
            continue
        book = clusters if target in where.cluster_ids else nodes
        book[target] = stronger(book.get(target), mark if exact else "changed")
    g = _loop_marks(old, new, g, clusters)
    edge_marks, was = _edge_marks(d, where, g)
    g = dataclasses.replace(
        g,
        edges=tuple(
            dataclasses.replace(e, label=f"{was[(e.src, e.dst)]} → {e.label}") if (e.src, e.dst) in was else e
            for e in g.edges
        ),
    )
    graph = _with_notes(g, d, new, nodes)
    graph, ghosts = _with_ghosts(old, new, d, graph, where)
    nodes.update(dict.fromkeys(ghosts, "removed"))
    return Marked(graph, nodes, clusters, edge_marks)


class _Where:
    """Which box or frame of the view draws a call of NEW."""

    def __init__(self, trace: Trace, g: Graph, folded: set[str]) -> None:
        self.trace = trace
        self.node_ids = {n.id for n in g.nodes}
        self.cluster_ids = {c.id for c in g.clusters}
        self.places = dict(g.places)
        self.folded = folded

    def of(self, call_id: str) -> tuple[str | None, bool]:
        """(box or frame id, whether it draws this very call) — an enclosing one when the call is inside it."""
        exact = True
        current: str | None = call_id
        while current is not None and current in self.trace.index:
            if current in self.folded:
                return None, False
            for candidate in (current, "cl-" + current, "open-" + current):
                if candidate in self.node_ids or candidate in self.cluster_ids:
                    return candidate, exact
            placed = self.places.get(current)
            if placed is not None:
                return placed, False
            current = self.trace.call(current).parent
            exact = False
        return None, False


def _loop_marks(old: Trace, new: Trace, g: Graph, clusters: dict[str, str]) -> Graph:
    """Mark the frames of loops and repeated stacks whose count changed; their labels say the old count."""
    paths = match(modules(old), modules(new))
    before: dict[tuple[str, bool, str], int] = {}
    for lp in rolling_for(old).loops:
        before.setdefault(counts.loop_key(old, lp, paths), lp.count)
    was: dict[str, int] = {}
    for lp in g.loops:
        key = counts.loop_key(new, lp, None)
        if before.get(key, 0) != lp.count and lp.id in {c.id for c in g.clusters}:
            clusters[lp.id] = stronger(clusters.get(lp.id), "changed")
            was[lp.id] = before.get(key, 0)
    frames = tuple(
        dataclasses.replace(c, label=f"{c.label}\n~ changed: was ×{was[c.id]}") if c.id in was else c
        for c in g.clusters
    )
    return dataclasses.replace(g, clusters=frames)


def _edge_marks(d: Diff, where: _Where, g: Graph) -> tuple[set[tuple[str, str]], dict[tuple[str, str], str]]:
    """Drawn edges whose shape changed, and the OLD shape each carried (`[8, 32]`), for its label."""
    drawn = {(e.src, e.dst) for e in g.edges}
    before = {(e.src, e.dst): shape_text(e.old) for e in d.edges}
    out: set[tuple[str, str]] = set()
    was: dict[tuple[str, str], str] = {}
    for ref, _ in d.marks:
        kind, _, ends = ref.partition(":")
        if kind != "edge":
            continue
        a, _, b = ends.partition(">")
        src, dst = where.of(a)[0], where.of(b)[0]
        if src is not None and dst is not None and (src, dst) in drawn:
            out.add((src, dst))
            old = before.get((general(calls.label(where.trace, a)), general(calls.label(where.trace, b))))
            if old is not None:
                was.setdefault((src, dst), old)
    return out, was


def _clip(text: str) -> str:
    return text if len(text) <= NOTE_CHARS else text[: NOTE_CHARS - 1] + "…"


def _with_notes(g: Graph, d: Diff, new: Trace, marks: dict[str, str]) -> Graph:
    """Each marked box says its mark in words (the colour is never the only cue)."""
    changes = {c.path: c for c in d.changed}
    renamed = {r.new: r.old for r in d.renamed}
    nodes = []
    for n in g.nodes:
        mark = marks.get(n.id)
        if mark is None:
            nodes.append(n)
            continue
        path = new.call(n.call).name if n.call and n.call in new.index else ""
        words = [f"{MARKS[mark].sign} {mark}"]
        before = _old_name(path, renamed)
        if before:
            words.append(f"→ was {before}")
        if path in changes:
            words += [_clip(w if w[:2] in ("+ ", "- ") else f"~ {w}") for w in changes[path].what[:3]]
        nodes.append(dataclasses.replace(n, notes=(*words, *n.notes)))
    return dataclasses.replace(g, nodes=tuple(nodes))


def _old_name(path: str, renamed: dict[str, str]) -> str:
    """OLD's path of a module under a renamed one (`encoder.mlp.0` -> `encoder.ff.0`); '' if none."""
    for new, old in renamed.items():
        if path == new or path.startswith(new + "."):
            return old + path[len(new) :]
    return ""


def _with_ghosts(old: Trace, new: Trace, d: Diff, g: Graph, where: _Where) -> tuple[Graph, list[str]]:
    """Removed modules and ops as ghost boxes, in the frame their (mapped) parent is drawn in."""
    paths = match(modules(old), modules(new))
    pairs = calls.align(old, new, paths)
    removed = [old.call(ref[4:]) for ref, mark in d.marks if ref.startswith("old:") and mark == "removed"]
    removed = [c for c in removed if not _inside_removed(old, c, removed)][:MAX_GHOSTS]
    ghost = {c.id: f"ghost-{c.id}" for c in removed}
    nodes = list(g.nodes)
    edges = list(g.edges)
    for c in removed:
        nodes.append(_ghost_node(old, new, c, ghost[c.id], pairs, where))
        for t in c.inputs:
            src = ghost.get(str(t.producer)) or _new_end(t.producer, pairs, where)
            if src is not None:
                edges.append(Edge(src, ghost[c.id], shape_text(t.shape)))
        for reader in _readers(old, c):
            dst = ghost.get(reader.id) or _new_end(reader.id, pairs, where)
            if dst is not None and reader.id not in ghost:
                edges.append(Edge(ghost[c.id], dst, shape_text(c.outputs[0].shape) if c.outputs else ""))
    return dataclasses.replace(g, nodes=tuple(nodes), edges=tuple(dict.fromkeys(edges))), list(ghost.values())


def _inside_removed(old: Trace, c: Call, removed: list[Call]) -> bool:
    ids = {r.id for r in removed}
    return any(a.id in ids for a in old.index.ancestors(c.id))


def _new_end(call_id: str | None, pairs: dict[str, str], where: _Where) -> str | None:
    if call_id is None or call_id not in pairs:
        return None
    target, _ = where.of(pairs[call_id])
    return target if target in where.node_ids else None


def _readers(old: Trace, c: Call) -> list[Call]:
    """The calls that read an output of `c` from it directly (outermost readers only)."""
    tids = {t.tid for t in c.outputs}
    out = []
    for r in old.calls:
        if any(t.tid in tids and t.producer == c.id for t in r.inputs):
            parent = old.index.get(r.parent)
            if parent is None or not any(t.tid in tids for t in parent.inputs):
                out.append(r)
    return out


def _ghost_node(old: Trace, new: Trace, c: Call, node_id: str, pairs: dict[str, str], where: _Where) -> Node:
    parent = old.index.get(c.parent)
    cluster = None
    if parent is not None and parent.id in pairs:
        target, exact = where.of(pairs[parent.id])
        cluster = target if target in where.cluster_ids and exact else None
    module = c.kind == CallKind.MODULE
    return Node(
        id=node_id,
        kind=NodeKind.MODULE if module else NodeKind.OP,
        title=c.name,
        subtitle=c.type if module else "",
        outputs=tuple(shape_text(t.shape) for t in c.outputs[:2]),
        params=c.params if module else 0,
        cluster=cluster,
        notes=("− removed",),
    )


def edge_mark(m: Marked, e: Edge) -> str | None:
    """An edge's mark: its shape changed, it leads to or from a ghost, or to or from something added."""
    if (e.src, e.dst) in m.edges:
        return "changed"
    ends = (m.nodes.get(e.src), m.nodes.get(e.dst))
    if "removed" in ends:
        return "removed"
    return "added" if "added" in ends else None


def to_dot(m: Marked, d: Diff, theme: Theme = Theme.LIGHT) -> str:
    """The DOT text of a marked graph: the ordinary renderer's, with outlines, marked edges and a diff legend."""
    plain = [e for e in m.graph.edges if edge_mark(m, e) is None]
    title = f"{m.graph.title} — diff {d.old} → {d.new}"
    base = dot.to_dot(dataclasses.replace(m.graph, edges=tuple(plain), title=title), legend=False, theme=theme)
    head, _, _ = base.rstrip().rpartition("}")
    lines = _frame_marks(head.rstrip("\n").split("\n"), m.clusters, theme)
    for e in m.graph.edges:
        mark = edge_mark(m, e)
        if mark is None:
            continue
        colour = MARKS[mark].colour(theme)
        dashed = ', style="dashed"' if mark == "removed" else ""
        lines.append(
            f'  {quote(e.src)} -> {quote(e.dst)} [label={quote(e.label)}, color="{colour}", '
            f'fontcolor="{colour}", penwidth=2.5{dashed}];'
        )
    for node_id, mark in sorted(m.nodes.items()):
        mk = MARKS[mark]
        double = ", peripheries=2" if mark == "changed" else ""
        lines.append(
            f'  {quote(node_id)} [shape=box, style="{mk.style}", color="{mk.colour(theme)}", penwidth=2.5, '
            f"margin=0.03{double}];"
        )
    lines += _legend(theme)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _frame_marks(lines: list[str], clusters: dict[str, str], theme: Theme) -> list[str]:
    """Each marked frame's outline set at the end of its own block: the later setting wins, and frames
    nested in it, made before, keep their own (attributes set earlier would be inherited)."""
    out = []
    opening = {f"subgraph {quote('cluster_' + cid)} {{": mark for cid, mark in clusters.items()}
    open_at: dict[str, str] = {}  # indent of an open marked block -> its mark
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        if line.strip() == "}" and indent in open_at:
            mk = MARKS[open_at.pop(indent)]
            out.append(f'{indent}  color="{mk.colour(theme)}"; penwidth=3; style="{mk.style}";')
        out.append(line)
        mark = opening.get(line.strip())
        if mark is not None:
            open_at[indent] = mark
    return out


def _legend(theme: Theme) -> list[str]:
    pal = palette(theme)
    rows = "".join(
        f'<TR><TD BGCOLOR="{MARKS[name].colour(theme)}" WIDTH="18"> </TD>'
        f'<TD ALIGN="LEFT">{esc(MARKS[name].sign + " " + MARKS[name].legend)}</TD></TR>'
        for name in ORDER
    )
    rows += (
        f'<TR><TD><FONT COLOR="{MARKS["changed"].colour(theme)}">━━</FONT></TD>'
        '<TD ALIGN="LEFT">edge whose shape changed</TD></TR>'
    )
    table = f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{rows}</TABLE>>'
    ink = "" if pal is LIGHT else f' fontcolor="{pal.label}";'
    node_ink = "" if pal is LIGHT else f', fontcolor="{pal.label}"'
    border = "#cbd5e1" if pal is LIGHT else pal.frame
    return [
        '  subgraph "cluster_diff_legend" {',
        f'    id="diff-legend"; label="diff"; style="rounded"; color="{border}"; fontsize=10;{ink}',
        f'    "diff-legend" [id="diff-legend-table", shape=plain, label={table}, fontsize=9{node_ink}];',
        "  }",
    ]
