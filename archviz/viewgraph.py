"""The view graph's plain data (nodes, edges, clusters) and its consistency check."""

from __future__ import annotations

from dataclasses import dataclass, field

from .loops import Loop

INPUT, OUTPUT, ERROR = "input", "output", "error"


@dataclass(frozen=True)
class View:
    """How to look at a trace.

    Args:
        depth: modules deeper than this are drawn as one node (None: no limit).
        unroll: draw every loop step instead of one step with a back edge.
        ops: `default` hides bookkeeping ops and groups torch helpers; `all` shows every op.
        direction: Graphviz rankdir, `TB` or `LR`.
        gates: `auto` opens custom cells and nn.LSTMCell/GRUCell/RNNCell and keeps nn.LSTM/GRU/RNN
            closed, `all` opens everything, `none` closes everything, or a comma list of module paths.
    """

    depth: int | None = None
    unroll: bool = False
    ops: str = "default"
    direction: str = "TB"
    gates: str = "auto"


@dataclass(frozen=True)
class Node:
    """One box in the diagram. `call` is the call it stands for (None for inputs/outputs)."""

    id: str
    kind: str  # module, op, function, input, output; `error` set separately
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


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str
    back: bool = False
    repeat: int = 1


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    parent: str | None
    kind: str  # module or loop
    repeat: int = 1
    error: bool = False


@dataclass(frozen=True)
class Graph:
    title: str
    direction: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    loops: tuple[Loop, ...] = ()
    notes: tuple[str, ...] = field(default=())
    places: tuple[tuple[str, str], ...] = ()  # module call id -> node or cluster id that draws it

    def _repr_svg_(self) -> str:
        """Jupyter shows a view graph as its diagram."""
        from .dot import render, to_dot  # lazy: plain data first, rendering on demand

        return render(to_dot(self), "svg").decode("utf-8")


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
