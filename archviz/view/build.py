"""Trace -> view graph: which calls are nodes, which are clusters, which edges carry what.

The view is chosen by `View` (depth, rolled or unrolled, which ops); the result is plain data
that the renderers draw without looking at the Trace's structure again.
"""

from __future__ import annotations

from collections.abc import Callable

from ..analysis import loops as loops_mod
from ..kinds import (
    GETITEM,
    INPUT_PRODUCER,
    SEQUENCE_PATHS,
    STATE_PATH,
    CallKind,
    ClusterKind,
    GatesMode,
    NodeKind,
    OpsMode,
    Role,
    WireKind,
)
from ..record import Call, Cell, TensorMeta, Trace, WireNode, is_call_id, named_path
from . import groups, stacks, stubs
from .graph import Cluster, Edge, Graph, Node, View
from .labels import edge_label, index_text, repeat_label, state_row, tensor_lines


def _significant(view: View) -> Callable[[Call], bool]:
    def keep(c: Call) -> bool:
        return view.ops == OpsMode.ALL or not c.bookkeeping

    return keep


class _Builder:
    def __init__(self, trace: Trace, view: View) -> None:
        self.trace = trace
        self.view = view
        self.names = dict(view.names)  # `--dims`: axis names of the dims of each tensor
        keep = _significant(view)
        self.keep = keep
        self.all_kids = trace.children()
        self.children: dict[str | None, list[Call]] = {}
        for c in trace.calls:
            if keep(c):
                self.children.setdefault(c.parent, []).append(c)
        if view.unroll:
            self.rolling = loops_mod.Rolling((), {}, {}, frozenset())
        else:
            self.rolling = loops_mod.rolling_for(trace, view.ops == OpsMode.ALL)
        self.loop_count = {lp.id: lp.count for lp in self.rolling.loops}
        self.loop_of_child: dict[str, loops_mod.Loop] = {}
        for lp in self.rolling.loops:
            if self.rolling.rep.get(lp.steps[0][0], lp.steps[0][0]) != lp.steps[0][0]:
                continue  # a loop inside a later step of an outer loop: drawn through step one
            for cid in lp.steps[0]:
                self.loop_of_child[cid] = lp
        self.role: dict[str, Role] = {}  # call id -> how it is drawn
        self.owner: dict[str, str] = {}  # call id -> visible call id it is drawn as
        self._cells_setup()
        self._assign_roles()
        self._group_constructions()

    def _cells_setup(self) -> None:
        """Which recurrent cells are opened, and what the gate analysis says about each op."""
        self.cells: dict[str, list[Cell]] = {}
        self.wire: dict[str, WireNode] = {}
        for cell in self.trace.cells:
            self.cells.setdefault(cell.call, []).append(cell)
            for w in cell.nodes:
                if w.call is not None:
                    self.wire[w.call] = w
        chosen = set(self.view.open_paths)
        mode = self.view.gates
        self.shared = {name: n for cell in self.trace.cells for name, n in cell.shared}
        self.open_builtin: set[str] = set()
        self.closed_custom: set[str] = set()
        for call_id, cells in self.cells.items():
            call = self.trace.call(call_id)
            named = call.name in chosen
            if not cells[0].custom:
                is_cell = call.config is not None and call.config.cell  # nn.LSTMCell & co open by default
                if mode == GatesMode.ALL or named or (mode == GatesMode.AUTO and is_cell):
                    self.open_builtin.add(call_id)
            elif mode == GatesMode.NONE and not named:
                self.closed_custom.add(call_id)
        # nn.LSTMCell & co, opened: one cell step drawn in place of the module box.
        self.cell_nodes = {cid for cid in self.open_builtin if (cfg := self.trace.call(cid).config) and cfg.cell}
        self.open_builtin -= self.cell_nodes
        self.open_out: dict[str, dict[str, str]] = {}

    # ---- which call is drawn how ------------------------------------------------------

    def _assign_roles(self) -> None:
        depth = self.view.depth
        for c in self.trace.calls:
            parent_owner = self.owner.get(c.parent) if c.parent else None
            if parent_owner is not None and c.parent is not None and self.role[c.parent] in (Role.NODE, Role.INSIDE):
                self.role[c.id], self.owner[c.id] = Role.INSIDE, parent_owner
                continue
            if not self.keep(c):
                self.role[c.id], self.owner[c.id] = Role.HIDDEN, c.id
                continue
            has_kids = bool(self.children.get(c.id))
            if c.parent is None and has_kids and depth != 0:
                role = Role.ROOT
            elif c.kind == CallKind.FUNCTION:
                role = Role.CLUSTER if self.view.ops == OpsMode.ALL and has_kids else Role.NODE
            elif (
                c.kind == CallKind.MODULE
                and has_kids
                and (depth is None or c.depth < depth)
                and c.id not in self.closed_custom
            ):
                role = Role.CLUSTER
            else:
                role = Role.NODE
            self.role[c.id], self.owner[c.id] = role, c.id

    def _group_constructions(self) -> None:
        """Fold mask and constant construction ops into one box each (not with `--ops all`)."""
        self.groups: dict[str, tuple[str, list[str]]] = {}
        if self.view.ops == OpsMode.ALL:
            return
        candidates = [
            c for c in self.trace.calls
            if self.role[c.id] == Role.NODE and c.kind == CallKind.OP and c.id not in self.rolling.within
        ]  # fmt: skip
        hidden = self.role.__getitem__
        self.groups = groups.groups(self.trace, candidates, lambda cid: hidden(cid) == Role.HIDDEN, self._cluster_of)
        for gid, (_, members) in self.groups.items():
            for cid in members:
                self.role[cid], self.owner[cid] = Role.INSIDE, gid

    def _group_node(self, gid: str) -> Node:
        title, members = self.groups[gid]
        inside = set(members)
        made = [t for cid in members for t in self.trace.call(cid).outputs]
        used = {t.tid for c in self.trace.calls if c.id not in inside for t in c.inputs}
        leaving = tuple(t for t in made if t.tid in used) or tuple(made[-1:])
        ops = ", ".join(dict.fromkeys(self.trace.call(cid).name.strip("_") for cid in members))
        return Node(
            gid, NodeKind.OP, title, "", outputs=tensor_lines(leaving, names=self.names), call=members[0],
            cluster=self._cluster_of(members[0]), notes=(f"{len(members)} ops: {ops}",),
        )  # fmt: skip

    def rep(self, call_id: str) -> str:
        return self.rolling.rep.get(call_id, call_id)

    def source(self, t: TensorMeta, seen: int = 0) -> str | None:
        """Visible node id that produced tensor `t` as this view draws it."""
        p = t.producer
        if p is None or seen > 50:
            return None
        if p == INPUT_PRODUCER:
            return self.input_ids.get(t.tid)
        call = self.trace.call(p)
        role = self.role[p]
        if role in (Role.NODE, Role.INSIDE):
            owner = self.rep(self.owner[p])
            emits = self.open_out.get(owner)
            if emits is not None:  # an opened recurrent module: the part that makes this output
                path = next((o.path for o in self.trace.call(owner).outputs if o.tid == t.tid), SEQUENCE_PATHS[2])
                head = next((h for h in (STATE_PATH, SEQUENCE_PATHS[1]) if path.startswith(h)), path)
                return emits.get(path) or emits.get(head, owner + ":in")
            return owner
        if role == Role.HIDDEN:  # a bookkeeping op passes its first tensor input through
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
            shown = named_path(t.path, trace.calls[0].arg_names) if trace.calls else t.path
            nodes[nid] = Node(nid, NodeKind.INPUT, "input", shown, outputs=tensor_lines((t,), names=self.names))
        clusters: dict[str, Cluster] = {}
        self.extra_edges: list[Edge] = []
        for c in trace.calls:
            role = self.role[c.id]
            if self.rep(c.id) != c.id or role in (Role.INSIDE, Role.HIDDEN):
                continue
            if role == Role.CLUSTER:
                clusters[c.id] = Cluster(
                    "cl-" + c.id,
                    self._cluster_label(c),
                    self._cluster_of(c.id),
                    ClusterKind.MODULE,
                    error=c.error is not None,
                )
            elif role == Role.NODE and c.id in self.open_builtin:
                extra_nodes, extra_edges, box, emits = stacks.expand(c, self.cells[c.id], self._cluster_of(c.id))
                nodes.update((n.id, n) for n in extra_nodes)
                self.extra_edges.extend(extra_edges)
                clusters[box.id] = box
                self.open_out[c.id] = emits
            elif role == Role.NODE:
                nodes[c.id] = self._node(c)
        nodes.update((gid, self._group_node(gid)) for gid in self.groups)
        for lp in self.rolling.loops:
            if lp.parent is not None and self.role.get(lp.parent) not in (Role.CLUSTER, Role.ROOT):
                continue  # drawn inside its collapsed parent's box
            if lp.steps[0][0] in self.loop_of_child and self.loop_of_child[lp.steps[0][0]] is lp:
                parent = self._cluster_for_call(lp.parent)
                if lp.repeat:
                    label, kind = repeat_label(trace, lp, self.all_kids), ClusterKind.REPEAT
                else:
                    label, kind = f"loop ×{lp.count}", ClusterKind.LOOP
                clusters[lp.id] = Cluster(lp.id, label, parent, kind, repeat=lp.count)
        edges = self._edges(nodes)
        for i, t in enumerate(trace.outputs):
            nid = f"out-{i}"
            nodes[nid] = Node(nid, NodeKind.OUTPUT, "output", t.path, inputs=tensor_lines((t,), names=self.names))
            src = self.source(t)
            if src is not None:
                edges.setdefault((src, nid, 0, ""), []).append(t)
        root = trace.calls[0] if trace.calls else None
        title = f"{trace.model_name}: {trace.model_class}" + (f" ({trace.source_file})" if trace.source_file else "")
        notes = []
        if root is not None and self.role.get(root.id) == Role.ROOT:  # the page is the root call: its words too
            notes += [root.error] if root.error else []
            notes += list(root.notes)
        return Graph(
            title=title,
            direction=self.view.direction,
            nodes=tuple(nodes.values()),
            edges=tuple(edge_label(s, d, b, metas, role, self.names) for (s, d, b, role), metas in edges.items())
            + tuple(self.extra_edges),
            clusters=tuple(clusters.values()),
            loops=self.rolling.loops,
            notes=tuple(notes),
            places=tuple(self._places(nodes, clusters)),
        )

    def _places(self, nodes: dict[str, Node], clusters: dict[str, Cluster]) -> list[tuple[str, str]]:
        out = []
        for c in self.trace.calls:
            if c.kind != CallKind.MODULE:
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
        if call_id is None or self.role.get(call_id) == Role.ROOT:
            return None
        return "cl-" + call_id

    def _cluster_of(self, call_id: str) -> str | None:
        """Cluster a visible call is drawn in: its loop if it starts a loop step, else its parent's."""
        lp = self.loop_of_child.get(call_id)
        if lp is not None:
            return lp.id
        return self._cluster_for_call(self.trace.call(call_id).parent)

    def _cluster_label(self, c: Call) -> str:
        parts = []
        for cell in self.cells.get(c.id, []):
            gates = [g.name for g in cell.gates if not g.name.startswith("round")]
            parts += ["gates " + ", ".join(gates)] if gates else []
            parts += [f"{cell.rounds} Mogrifier rounds"] if cell.rounds else []
        return f"{c.name}: {c.type}" + (" — " + "; ".join(parts) if parts else "")

    def _notes(self, c: Call) -> tuple[str, ...]:
        notes: list[str] = list(c.notes)
        cells = self.cells.get(c.id, [])
        if cells and not cells[0].custom and c.id not in self.cell_nodes:
            gates = " ".join(g.name for g in cells[0].gates)
            layout = f"{len({x.layer for x in cells})} layer(s) × {len({x.direction for x in cells})} direction(s)"
            check = c.check
            verdict = (
                f"gates {check.verdict()}" if check and check.verified
                else f"gates not drawn: {check.note if check else 'not verified'}"
            )  # fmt: skip
            notes += [f"gates {gates} · {layout}", verdict]
        elif cells and cells[0].custom:
            notes.append("gates " + ", ".join(g.name for g in cells[0].gates))
        if c.kind == CallKind.MODULE and c.name in self.shared:
            notes.append(f"shared weights: called ×{self.shared[c.name]} per step")
        wire = self.wire.get(c.id)
        if wire is not None and wire.name and wire.kind != WireKind.GATE:
            notes.append(wire.name)
        row = state_row(self.trace, c)
        if row:
            notes.append(row)
        return tuple(notes)

    def _node(self, c: Call) -> Node:
        step = self.rolling.step.get(c.id)
        repeat = self.loop_count[step[0]] if step is not None else 1
        if c.id in self.cell_nodes:  # an opened cell: its one step, the gates in its drill-in
            timed = self.rolling.time_step(c.id)  # the loop over time it steps in, not a repeat of layers
            repeat = self.loop_count[timed[0]] if timed is not None else 1
            cell = self.cells[c.id][0]
            kind, subtitle = NodeKind.CELL, f"{c.type}: one step" + (f" ×{repeat}" if repeat > 1 else "")
            inputs: tuple[str, ...] = ()
            outputs = stacks.cell_lines(cell)
        else:
            kind, subtitle = NodeKind(c.kind), c.type
            inputs, outputs = tensor_lines(c.inputs, names=self.names), tensor_lines(c.outputs, names=self.names)
        return Node(
            id=c.id,
            kind=kind,
            title=c.name if c.name != GETITEM else "getitem " + index_text(c),
            subtitle=subtitle,
            inputs=inputs,
            outputs=outputs,
            params=c.params,
            call=c.id,
            cluster=self._cluster_of(c.id),
            repeat=repeat,
            varies=c.id in self.rolling.varies,
            error=c.error or self._inner_error(c),
            collapsed=c.kind == CallKind.MODULE and bool(self.children.get(c.id)),
            cells=tuple(cell.id for cell in self.cells.get(c.id, [])),
            gate=self.wire[c.id].name if c.id in self.wire and self.wire[c.id].kind == WireKind.GATE else "",
            notes=self._notes(c),
        )

    def _inner_error(self, c: Call) -> str | None:
        failure = self.trace.failure
        if failure is None or failure.call is None or failure.call == c.id:
            return None
        if self.owner.get(failure.call) == c.id:
            return self.trace.call(failure.call).error
        return None

    def _edges(self, nodes: dict[str, Node]) -> dict[tuple[str, str, int, str], list[TensorMeta]]:
        edges: dict[tuple[str, str, int, str], list[TensorMeta]] = {}
        seen: set[tuple[tuple[str, str, int, str], str, tuple[int, ...]]] = set()
        for c in self.trace.calls:
            if self.role[c.id] != Role.NODE and self.owner.get(c.id) not in self.groups:
                continue
            dst = self.owner[c.id] if self.role[c.id] == Role.INSIDE else self.rep(c.id)
            if dst in self.open_builtin:
                dst += ":in"
            for t in c.inputs:
                src = self.source(t)
                back = self._back_count(self._origin(t), c.id)
                if src is None or (src == dst and not back):  # a self edge only for loop state
                    continue
                role = stacks.cell_input_role(t.path) if dst in self.cell_nodes else ""
                key = (src, dst, back, role)
                if (key, t.path, t.shape) not in seen:  # a set: `stack` of 1000 steps has 1000 inputs
                    seen.add((key, t.path, t.shape))
                    edges.setdefault(key, []).append(t)
        return edges

    def _origin(self, t: TensorMeta) -> str | None:
        """The call whose output `t` is, seen through folded bookkeeping (`.to()`, `.detach()`)."""
        p = t.producer
        for _ in range(50):
            if not is_call_id(p) or self.role.get(p) != Role.HIDDEN:
                return p
            call = self.trace.call(p)
            if not call.inputs:
                return p
            p = call.inputs[0].producer
        return p

    def _back_count(self, producer: str | None, consumer: str) -> int:
        """Loop count T when this tensor goes from one loop step into a later one, else 0."""
        if not is_call_id(producer):
            return 0
        made = dict(self.rolling.within.get(producer, ()))
        for loop, step in self.rolling.within.get(consumer, ()):  # outermost first
            if loop in made and made[loop] != step:
                return self.loop_count[loop] if made[loop] < step else 0
        return 0


def build(trace: Trace, view: View | None = None) -> Graph:
    """Build the view graph of `trace`.

    Args:
        trace: the record of a forward pass.
        view: depth, rolling and op filtering; defaults to everything, rolled, bookkeeping hidden.
    """
    return stubs.stub_far_edges(_Builder(trace, view or View()).build())
