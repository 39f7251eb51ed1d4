"""Trace -> view graph: which calls are nodes, which are clusters, which edges carry what.

The view is chosen by `View` (depth, rolled or unrolled, which ops); the result is plain data
that `dot.py` and `report.py` render without looking at the Trace's structure again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import loops as loops_mod
from .record import FUNCTION, MODULE, OP, Call, TensorMeta, Trace, shape_text

INPUT, OUTPUT, ERROR = "input", "output", "error"


@dataclass(frozen=True)
class View:
    """How to look at a trace.

    Args:
        depth: modules deeper than this are drawn as one node (None: no limit).
        unroll: draw every loop step instead of one step with a back edge.
        ops: `default` hides bookkeeping ops and groups torch helpers; `all` shows every op.
        direction: Graphviz rankdir, `TB` or `LR`.
    """

    depth: int | None = None
    unroll: bool = False
    ops: str = "default"
    direction: str = "TB"


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
    loops: tuple[loops_mod.Loop, ...] = ()
    notes: tuple[str, ...] = field(default=())


def _significant(view: View) -> Callable[[Call], bool]:
    def keep(c: Call) -> bool:
        return view.ops == "all" or not c.bookkeeping

    return keep


def _tensor_lines(metas: tuple[TensorMeta, ...], limit: int = 6) -> tuple[str, ...]:
    """One line per tensor (`data [31, 16]`, `[4] int64`); identical lines are counted, not repeated."""
    counts: dict[str, int] = {}
    for t in metas:
        tail = t.path.rsplit(".", 1)[1] if "." in t.path else ""
        line = (tail + " " if tail else "") + shape_text(t.shape) + ("" if t.dtype == "float32" else f" {t.dtype}")
        counts[line] = counts.get(line, 0) + 1
    lines = [line if n == 1 else f"{n} × {line}" for line, n in counts.items()]
    if len(lines) > limit:
        lines = lines[: limit - 1] + [f"+{len(lines) - limit + 1} more"]
    return tuple(lines)


class _Builder:
    def __init__(self, trace: Trace, view: View) -> None:
        self.trace = trace
        self.view = view
        keep = _significant(view)
        self.keep = keep
        self.children: dict[str | None, list[Call]] = {}
        for c in trace.calls:
            if keep(c):
                self.children.setdefault(c.parent, []).append(c)
        if view.unroll:
            self.rolling = loops_mod.Rolling((), {}, {}, frozenset())
        else:
            self.rolling = loops_mod.find_loops(trace, keep)
        self.loop_count = {lp.id: lp.count for lp in self.rolling.loops}
        self.loop_of_child: dict[str, loops_mod.Loop] = {}
        for lp in self.rolling.loops:
            if self.rolling.rep.get(lp.steps[0][0], lp.steps[0][0]) != lp.steps[0][0]:
                continue  # a loop inside a later step of an outer loop: drawn through step one
            for cid in lp.steps[0]:
                self.loop_of_child[cid] = lp
        self.role: dict[str, str] = {}  # call id -> node / cluster / hidden / root
        self.owner: dict[str, str] = {}  # call id -> visible call id it is drawn as
        self._assign_roles()

    # ---- which call is drawn how ------------------------------------------------------

    def _assign_roles(self) -> None:
        depth = self.view.depth
        for c in self.trace.calls:
            parent_owner = self.owner.get(c.parent) if c.parent else None
            if parent_owner is not None and self.role[c.parent] == "node":  # type: ignore[index]
                self.role[c.id], self.owner[c.id] = "inside", parent_owner
                continue
            if not self.keep(c):
                self.role[c.id], self.owner[c.id] = "hidden", c.id
                continue
            has_kids = bool(self.children.get(c.id))
            if c.parent is None and has_kids:
                role = "root"
            elif c.kind == FUNCTION:
                role = "cluster" if self.view.ops == "all" and has_kids else "node"
            elif c.kind == MODULE and has_kids and (depth is None or c.depth < depth):
                role = "cluster"
            else:
                role = "node"
            self.role[c.id], self.owner[c.id] = role, c.id

    def rep(self, call_id: str) -> str:
        return self.rolling.rep.get(call_id, call_id)

    def source(self, t: TensorMeta, seen: int = 0) -> str | None:
        """Visible node id that produced tensor `t` as this view draws it."""
        p = t.producer
        if p is None or seen > 50:
            return None
        if p == "input":
            return self.input_ids.get(t.tid)
        call = self.trace.call(p)
        role = self.role[p]
        if role in ("node", "inside"):
            return self.rep(self.owner[p])
        if role == "hidden":  # a bookkeeping op passes its first tensor input through
            return self.source(call.inputs[0], seen + 1) if call.inputs else None
        for out in call.outputs:  # an expanded module: look through to what made the output
            if out.tid == t.tid:
                return self.source(out, seen + 1)
        return None

    # ---- assembling -----------------------------------------------------------------------

    def build(self) -> Graph:
        trace = self.trace
        nodes: dict[str, Node] = {}
        self.input_ids = {}
        for i, t in enumerate(trace.inputs):
            nid = f"in-{i}"
            self.input_ids[t.tid] = nid
            nodes[nid] = Node(nid, INPUT, "input", t.path, outputs=_tensor_lines((t,)))
        clusters: dict[str, Cluster] = {}
        for c in trace.calls:
            role = self.role[c.id]
            if self.rep(c.id) != c.id or role in ("inside", "hidden"):
                continue
            if role == "cluster":
                clusters[c.id] = Cluster(
                    "cl-" + c.id, f"{c.name}: {c.type}", self._cluster_of(c.id), "module", error=c.error is not None
                )
            elif role == "node":
                nodes[c.id] = self._node(c)
        for lp in self.rolling.loops:
            if lp.steps[0][0] in self.loop_of_child and self.loop_of_child[lp.steps[0][0]] is lp:
                parent = self._cluster_for_call(lp.parent)
                clusters[lp.id] = Cluster(lp.id, f"loop ×{lp.count}", parent, "loop", repeat=lp.count)
        edges = self._edges(nodes)
        for i, t in enumerate(trace.outputs):
            nid = f"out-{i}"
            nodes[nid] = Node(nid, OUTPUT, "output", t.path, inputs=_tensor_lines((t,)))
            src = self.source(t)
            if src is not None:
                edges.setdefault((src, nid, 0), []).append(t)
        root = trace.calls[0] if trace.calls else None
        title = f"{trace.model_name}: {trace.model_class}" + (f" ({trace.source_file})" if trace.source_file else "")
        notes = []
        if root is not None and self.role.get(root.id) == "root" and root.error:
            notes.append(root.error)
        return Graph(
            title=title,
            direction=self.view.direction,
            nodes=tuple(nodes.values()),
            edges=tuple(_edge(s, d, b, metas) for (s, d, b), metas in edges.items()),
            clusters=tuple(clusters.values()),
            loops=self.rolling.loops,
            notes=tuple(notes),
        )

    def _cluster_for_call(self, call_id: str | None) -> str | None:
        """Cluster id that holds the children of call `call_id`."""
        if call_id is None or self.role.get(call_id) == "root":
            return None
        return "cl-" + call_id

    def _cluster_of(self, call_id: str) -> str | None:
        """Cluster a visible call is drawn in: its loop if it starts a loop step, else its parent's."""
        lp = self.loop_of_child.get(call_id)
        if lp is not None:
            return lp.id
        return self._cluster_for_call(self.trace.call(call_id).parent)

    def _node(self, c: Call) -> Node:
        step = self.rolling.step.get(c.id)
        repeat = self.loop_count[step[0]] if step is not None else 1
        return Node(
            id=c.id,
            kind=c.kind,
            title=c.name,
            subtitle=c.type,
            inputs=_tensor_lines(c.inputs),
            outputs=_tensor_lines(c.outputs),
            params=c.params,
            call=c.id,
            cluster=self._cluster_of(c.id),
            repeat=repeat,
            varies=c.id in self.rolling.varies,
            error=c.error or self._inner_error(c),
            collapsed=c.kind == MODULE and bool(self.children.get(c.id)),
        )

    def _inner_error(self, c: Call) -> str | None:
        failure = self.trace.failure
        if failure is None or failure.call is None or failure.call == c.id:
            return None
        if self.owner.get(failure.call) == c.id:
            return self.trace.call(failure.call).error
        return None

    def _edges(self, nodes: dict[str, Node]) -> dict[tuple[str, str, int], list[TensorMeta]]:
        edges: dict[tuple[str, str, int], list[TensorMeta]] = {}
        for c in self.trace.calls:
            if self.role[c.id] != "node":
                continue
            dst = self.rep(c.id)
            for t in c.inputs:
                src = self.source(t)
                back = self._back_count(t.producer, c.id)
                if src is None or src == dst and not back:  # a self edge only for loop state
                    continue
                key = (src, dst, back)
                metas = edges.setdefault(key, [])
                if all(m.path != t.path or m.shape != t.shape for m in metas):
                    metas.append(t)
        return edges

    def _back_count(self, producer: str | None, consumer: str) -> int:
        """Loop count T when this tensor goes from one loop step into a later one, else 0."""
        if not producer or not producer.startswith("call-"):
            return 0
        a, b = self.rolling.step.get(producer), self.rolling.step.get(consumer)
        if a is None or b is None or a[0] != b[0] or a[1] >= b[1]:
            return 0
        return self.loop_count[a[0]]


def _edge(src: str, dst: str, back: int, metas: list[TensorMeta]) -> Edge:
    label = "\n".join(_tensor_lines(tuple(metas), limit=4))
    if back:
        label += f" ×{back}"
    return Edge(src, dst, label, back=bool(back), repeat=back or 1)


def build(trace: Trace, view: View | None = None) -> Graph:
    """Build the view graph of `trace`.

    Args:
        trace: the record of a forward pass.
        view: depth, rolling and op filtering; defaults to everything, rolled, bookkeeping hidden.
    """
    return _Builder(trace, view or View()).build()


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


__all__ = ["View", "Node", "Edge", "Cluster", "Graph", "build", "lint", "INPUT", "OUTPUT", "ERROR", "OP"]
