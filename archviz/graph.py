"""Trace -> view graph: which calls are nodes, which are clusters, which edges carry what.

The view is chosen by `View` (depth, rolled or unrolled, which ops); the result is plain data
that `dot.py` and `report.py` render without looking at the Trace's structure again.
"""

from __future__ import annotations

from collections.abc import Callable

from . import loops as loops_mod
from . import stackview
from .record import FUNCTION, MODULE, OP, Call, Cell, TensorMeta, Trace, WireNode, shape_text
from .viewgraph import ERROR, INPUT, OUTPUT, Cluster, Edge, Graph, Node, View, lint


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
            self.rolling = loops_mod.rolling_for(trace, view.ops == "all")
        self.loop_count = {lp.id: lp.count for lp in self.rolling.loops}
        self.loop_of_child: dict[str, loops_mod.Loop] = {}
        for lp in self.rolling.loops:
            if self.rolling.rep.get(lp.steps[0][0], lp.steps[0][0]) != lp.steps[0][0]:
                continue  # a loop inside a later step of an outer loop: drawn through step one
            for cid in lp.steps[0]:
                self.loop_of_child[cid] = lp
        self.role: dict[str, str] = {}  # call id -> node / cluster / hidden / root
        self.owner: dict[str, str] = {}  # call id -> visible call id it is drawn as
        self._cells_setup()
        self._assign_roles()

    def _cells_setup(self) -> None:
        """Which recurrent cells are opened, and what the gate analysis says about each op."""
        self.cells: dict[str, list[Cell]] = {}
        self.wire: dict[str, WireNode] = {}
        for cell in self.trace.cells:
            self.cells.setdefault(cell.call, []).append(cell)
            for w in cell.nodes:
                if w.call is not None:
                    self.wire[w.call] = w
        chosen = {p.strip() for p in self.view.gates.split(",")} - {"auto", "all", "none", ""}
        self.shared = {name: n for cell in self.trace.cells for name, n in cell.shared}
        self.open_builtin: set[str] = set()
        self.closed_custom: set[str] = set()
        for call_id, cells in self.cells.items():
            call = self.trace.call(call_id)
            named = call.name in chosen
            if cells[0].kind != "custom":
                is_cell = dict(call.config).get("cell") == "True"  # nn.LSTMCell & co open by default
                if self.view.gates == "all" or named or (self.view.gates == "auto" and is_cell):
                    self.open_builtin.add(call_id)
            elif self.view.gates == "none" and not named:
                self.closed_custom.add(call_id)
        self.open_out: dict[str, dict[str, str]] = {}

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
            elif c.kind == MODULE and has_kids and (depth is None or c.depth < depth) and c.id not in self.closed_custom:
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
            owner = self.rep(self.owner[p])
            emits = self.open_out.get(owner)
            if emits is not None:  # an opened recurrent module: the part that makes this output
                path = next((o.path for o in self.trace.call(owner).outputs if o.tid == t.tid), "output")
                head = "output[1]" if path.startswith("output[1]") else "output[0]" if path.startswith("output[0]") else path
                return emits.get(path) or emits.get(head, owner + ":in")
            return owner
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
        self.extra_edges: list[Edge] = []
        for c in trace.calls:
            role = self.role[c.id]
            if self.rep(c.id) != c.id or role in ("inside", "hidden"):
                continue
            if role == "cluster":
                clusters[c.id] = Cluster(
                    "cl-" + c.id, self._cluster_label(c), self._cluster_of(c.id), "module", error=c.error is not None
                )
            elif role == "node" and c.id in self.open_builtin:
                extra_nodes, extra_edges, box, emits = stackview.expand(c, self.cells[c.id], self._cluster_of(c.id))
                nodes.update((n.id, n) for n in extra_nodes)
                self.extra_edges.extend(extra_edges)
                clusters[box.id] = box
                self.open_out[c.id] = emits
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
            edges=tuple(_edge(s, d, b, metas) for (s, d, b), metas in edges.items()) + tuple(self.extra_edges),
            clusters=tuple(clusters.values()),
            loops=self.rolling.loops,
            notes=tuple(notes),
            places=tuple(self._places(nodes, clusters)),
        )

    def _places(self, nodes: dict[str, Node], clusters: dict[str, Cluster]) -> list[tuple[str, str]]:
        out = []
        for c in self.trace.calls:
            if c.kind != MODULE:
                continue
            owner = self.rep(self.owner.get(c.id, c.id))
            if owner in nodes:
                out.append((c.id, owner))
            elif owner in clusters:
                out.append((c.id, clusters[owner].id))
            elif "open-" + owner in clusters:
                out.append((c.id, "open-" + owner))
        return out

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

    def _cluster_label(self, c: Call) -> str:
        label = f"{c.name}: {c.type}"
        for cell in self.cells.get(c.id, []):
            label += " — gates " + ", ".join(g.name for g in cell.gates if not g.name.startswith("round"))
            if cell.rounds:
                label += f"; {cell.rounds} Mogrifier rounds"
        return label

    def _notes(self, c: Call) -> tuple[str, ...]:
        notes: list[str] = []
        cells = self.cells.get(c.id, [])
        if cells and cells[0].kind != "custom":
            gates = " ".join(g.name for g in cells[0].gates)
            layout = f"{len({x.layer for x in cells})} layer(s) × {len({x.direction for x in cells})} direction(s)"
            check = c.check
            verdict = (
                f"gates verified (max |error| {check.max_abs_error:.1g})" if check and check.verified
                else f"gates not drawn: {check.note if check else 'not verified'}"
            )  # fmt: skip
            notes += [f"gates {gates} · {layout}", verdict]
        elif cells:
            notes.append("gates " + ", ".join(g.name for g in cells[0].gates))
        if c.kind == MODULE and c.name in self.shared:
            notes.append(f"shared weights: called ×{self.shared[c.name]} per step")
        wire = self.wire.get(c.id)
        if wire is not None and wire.name and wire.kind != "gate":
            notes.append(wire.name)
        row = self._state_row(c)
        if row:
            notes.append(row)
        return tuple(notes)

    def _state_row(self, c: Call) -> str | None:
        """`h_n[-2] = layer 1 forward` when an index picks one row of a recurrent module's final states."""
        if c.name != "__getitem__" or not c.inputs or not c.inputs[0].producer:
            return None
        src = c.inputs[0]
        if not src.producer.startswith("call-"):
            return None
        owner = self.trace.call(src.producer)
        cfg = dict(owner.config)
        path = next((o.path for o in owner.outputs if o.tid == src.tid), "")
        index = next((a.summary for a in c.args if a.path == "args[1]"), "")
        if not cfg or cfg.get("cell") == "True" or not path.startswith("output[1]") or not index.lstrip("-").isdigit():
            return None
        directions = 2 if cfg["bidirectional"] == "True" else 1
        rows = int(cfg["num_layers"]) * directions
        row = int(index) % rows
        which = "c_n" if path == "output[1][1]" else "h_n"
        side = ("forward", "reverse")[row % directions]
        return f"{which}[{index}] = layer {row // directions} {side}"

    def _node(self, c: Call) -> Node:
        step = self.rolling.step.get(c.id)
        repeat = self.loop_count[step[0]] if step is not None else 1
        return Node(
            id=c.id,
            kind=c.kind,
            title=c.name if c.name != "__getitem__" else "getitem " + _index_text(c),
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
            cells=tuple(cell.id for cell in self.cells.get(c.id, [])),
            gate=self.wire[c.id].name if c.id in self.wire and self.wire[c.id].kind == "gate" else "",
            notes=self._notes(c),
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
        seen: set[tuple[tuple[str, str, int], str, tuple[int, ...]]] = set()
        for c in self.trace.calls:
            if self.role[c.id] != "node":
                continue
            dst = self.rep(c.id)
            if dst in self.open_builtin:
                dst += ":in"
            for t in c.inputs:
                src = self.source(t)
                back = self._back_count(t.producer, c.id)
                if src is None or src == dst and not back:  # a self edge only for loop state
                    continue
                key = (src, dst, back)
                if (key, t.path, t.shape) not in seen:  # a set: `stack` of 1000 steps has 1000 inputs
                    seen.add((key, t.path, t.shape))
                    edges.setdefault(key, []).append(t)
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


def _index_text(c: Call) -> str:
    """`[:, 3]` for `x[:, 3]`, from the summarised index arguments."""
    parts = [a.summary for a in c.args if a.path.startswith("args[1]")]
    return "[" + ", ".join(parts) + "]" if parts else ""


def build(trace: Trace, view: View | None = None) -> Graph:
    """Build the view graph of `trace`.

    Args:
        trace: the record of a forward pass.
        view: depth, rolling and op filtering; defaults to everything, rolled, bookkeeping hidden.
    """
    return _Builder(trace, view or View()).build()


__all__ = ["ERROR", "INPUT", "OP", "OUTPUT", "Cluster", "Edge", "Graph", "Node", "View", "build", "lint"]
