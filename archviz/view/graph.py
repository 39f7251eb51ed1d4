"""The view graph's plain data (what to look at, nodes, edges, clusters) and its consistency check."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UsageError
from ..kinds import ClusterKind, GatesMode, Layout, NodeKind, OpsMode
from ..record import display
from ..record.loops import Loop


@dataclass(frozen=True)
class View:
    """How to look at a trace.

    Args:
        depth: modules deeper than this are drawn as one node (None: no limit).
        unroll: draw every loop step instead of one step with a back edge.
        ops: `default` hides bookkeeping ops and groups torch helpers; `all` shows every op.
        direction: Graphviz rankdir, `TB` or `LR`.
        gates: `auto` opens custom cells and nn.LSTMCell/GRUCell/RNNCell and keeps nn.LSTM/GRU/RNN
            closed, `all` opens everything, `none` closes everything; with `open_paths` and no mode
            word, only the named built-in modules open.
        open_paths: module paths whose cells are drawn open whatever the mode.
        names: `--dims`: (tensor id, axis name per dim, '' for none) for shapes drawn as `[B=4, T=12, 64]`.
        focus: `--focus`: a module path (or call id) whose first call alone is drawn, its inputs and outputs
            as the diagram's; None for the whole model.
        compact: boxes say name, class and output shapes only (the report's panel has the rest); chosen
            by `fit` for views too tall to read otherwise.
    """

    depth: int | None = None
    unroll: bool = False
    ops: OpsMode = OpsMode.DEFAULT
    direction: Layout = Layout.TB
    gates: GatesMode | None = GatesMode.AUTO
    open_paths: tuple[str, ...] = ()
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()
    focus: str | None = None
    compact: bool = False


def parse_gates(text: str) -> tuple[GatesMode | None, tuple[str, ...]]:
    """`--gates` text -> (mode, module paths): `auto`, `all`, `none`, or a comma list of paths.

    A list of paths alone gives mode None: only those built-in modules open, custom cells stay open.
    """
    words = [w.strip() for w in text.split(",") if w.strip()]
    modes = [GatesMode(w) for w in words if w in GatesMode.__members__.values()]
    if len(modes) > 1:
        raise UsageError(f"--gates {text!r}: choose one of auto, all or none (optionally with module paths).")
    paths = tuple(w for w in words if w not in GatesMode.__members__.values())
    if modes:
        return modes[0], paths
    return (None, paths) if paths else (GatesMode.AUTO, ())


@dataclass(frozen=True)
class Node:
    """One box in the diagram. `call` is the call it stands for (None for inputs/outputs)."""

    id: str
    kind: NodeKind  # `error` is set separately
    title: str
    subtitle: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    params: int = 0
    call: str | None = None
    cluster: str | None = None
    repeat: int = 1
    varies: bool = False
    error: str | None = None
    collapsed: bool = False
    cells: tuple[str, ...] = ()  # recurrent cells this node stands for (drill-in diagrams)
    gate: str = ""  # gate name for an activation inside a custom cell
    notes: tuple[str, ...] = ()  # extra lines: verification, shared weights, rounds
    refers: str | None = None  # for a reference box: the node whose output it stands for


@dataclass(frozen=True)
class Edge:
    """Data flow between two boxes, labelled with the shapes it carries; `back` for loop state."""

    src: str
    dst: str
    label: str
    back: bool = False
    repeat: int = 1
    passes: tuple[str, ...] = ()  # module calls drawn as this edge: they hand their input back (`nn.Identity`)
    id: str = ""  # the edge's SVG element id, when it stands for module calls (`pass-call-0007`)


@dataclass(frozen=True)
class Cluster:
    """A frame: a module's body or a rolled loop, nested through `parent`."""

    id: str
    label: str
    parent: str | None
    kind: ClusterKind
    repeat: int = 1
    error: bool = False


@dataclass(frozen=True)
class Graph:
    """The whole view: what the renderers draw, without looking at the Trace's structure again."""

    title: str
    direction: Layout
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    loops: tuple[Loop, ...] = ()
    notes: tuple[str, ...] = field(default=())
    places: tuple[tuple[str, str], ...] = ()  # module call id -> node or cluster id that draws it
    compact: bool = False  # boxes say name, class and output shapes only
    caption: str = ""  # which view this is, under the title (`drawn with --depth 2 of 5; …`)
    # repeat frame id -> the module paths of each member, in order (`layers.17` is member 17 of `layers.0–42`)
    folds: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    left_out: str = ""  # what the view leaves out and why (`not drawn, never used: all (--ops all draws them)`)

    def __repr__(self) -> str:
        """A one-line summary (the dataclass's own repr would print every node and edge)."""
        counts = f"{len(self.nodes)} nodes, {len(self.edges)} edges, {len(self.clusters)} clusters"
        return f"<Graph {self.title!r}: {counts}, {len(self.loops)} loops>"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Jupyter: the summary as text and, once `archviz.api` is imported, the diagram as SVG (once)."""
        bundle = {"text/plain": repr(self)}
        svg = display.show(self, "image/svg+xml")
        if svg is not None:
            bundle["image/svg+xml"] = svg
        return bundle

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a view graph as its diagram, through the renderer `archviz.api` registers."""
        return display.show(self, "image/svg+xml")


def box_outputs(graph: Graph) -> dict[str, set[str]]:
    """In a compact view, the output lines each box says (its edges need not say them again); else {}."""
    return {n.id: set(n.outputs) for n in graph.nodes} if graph.compact else {}


def edge_text(e: Edge, shown: dict[str, set[str]]) -> str:
    """The label an edge is drawn with: in a compact view (`shown`: `box_outputs`), without the shape lines
    its source box already says; the `via dropout` line and a loop's `×T` stay."""
    if e.back or e.src not in shown:
        return e.label
    return "\n".join(line for line in e.label.split("\n") if line.startswith("via ") or line not in shown[e.src])


def lint(graph: Graph) -> list[str]:
    """Return problems that would make the diagram lie: dangling edges, unknown clusters, cycles."""
    problems = []
    ids = [n.id for n in graph.nodes]
    if len(ids) != len(set(ids)):
        problems.append("duplicate node ids")
    known = set(ids)
    clusters = {c.id: c for c in graph.clusters}
    for e in graph.edges:
        if e.src not in known or e.dst not in known:
            problems.append(f"edge {e.src} -> {e.dst} names a missing node")
    for n in graph.nodes:
        if n.cluster is not None and n.cluster not in clusters:
            problems.append(f"node {n.id} is in unknown cluster {n.cluster}")
    for c in graph.clusters:
        seen, cur = set(), c.parent
        while cur is not None:
            if cur in seen or cur not in clusters:
                problems.append(f"cluster {c.id} has a broken parent chain")
                break
            seen.add(cur)
            cur = clusters[cur].parent
    return problems


def forward_cycle(graph: Graph) -> list[str]:
    """A cycle among the forward (not back) edges, as node ids; [] when there is none.

    Data flows forward; what one loop step hands to the next is drawn as a back edge. A cycle of
    forward edges means a back edge was missed. Graphviz would still draw it, reversing an edge.
    """
    succ: dict[str, list[str]] = {}
    for e in graph.edges:
        if not e.back and e.src != e.dst:
            succ.setdefault(e.src, []).append(e.dst)
    state: dict[str, int] = {}
    for start in succ:
        if start in state:
            continue
        path, stack = [start], [iter(succ.get(start, ()))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(succ.get(nxt, ())))
    return []
