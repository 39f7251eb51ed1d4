"""Trace -> view graph: which calls are nodes, which are clusters, which edges carry what.

The view is chosen by `View` (depth, rolled or unrolled, which ops); the result is plain data
that the renderers draw without looking at the Trace's structure again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..analysis.loops import rolling_for
from ..analysis.passthrough import handed_back, passes_through
from ..kinds import (
    INPUT_PRODUCER,
    SEQUENCE_PATHS,
    STATE_PATH,
    CallKind,
    ClusterKind,
    NodeKind,
    OpsMode,
    Role,
    is_norm_class,
)
from ..record import NO_LOOPS, Call, Loop, Rolling, TensorMeta, Trace, is_call_id, named_path
from . import groups, repeats, stacks, stubs
from . import passes as passing
from .boxes import Boxes
from .focus import focused
from .graph import Cluster, Edge, Graph, Node, View
from .labels import edge_label, tensor_lines
from .opened import opened
from .repeats import repeat_label
from .unused import drop_unused


def _significant(trace: Trace, view: View) -> Callable[[Call], bool]:
    """What the view draws: with `--ops all` every call; else no bookkeeping op and no module that only
    hands its input back (drawn as the edge it is)."""

    def keep(c: Call) -> bool:
        return view.ops == OpsMode.ALL or not (c.bookkeeping or passes_through(trace, c))

    return keep


def loops_for(trace: Trace, view: View, rolled: Rolling | None = None) -> Rolling:
    """The loops a view folds: none when unrolled, every op's with `--ops all`, else `rolled` (the
    analysis's loops over the calls drawn by default), found here when the caller has none."""
    if view.unroll:
        return NO_LOOPS
    if view.ops == OpsMode.ALL:
        return rolling_for(trace, all_ops=True)
    return rolled if rolled is not None else rolling_for(trace)


class _Builder(Boxes):
    """Decides how each call is drawn (a box, a frame, inside another box, hidden) and wires the boxes."""

    def __init__(self, trace: Trace, view: View, rolling: Rolling) -> None:
        self.trace = trace
        self.view = view
        self.names = dict(view.names)  # `--dims`: axis names of the dims of each tensor
        keep = _significant(trace, view)
        self.keep = keep
        self.all_kids = trace.children()
        self.children: dict[str | None, list[Call]] = {}
        for c in trace.calls:
            if keep(c):
                self.children.setdefault(c.parent, []).append(c)
        self.rolling = rolling
        self.loop_count = {lp.id: lp.count for lp in self.rolling.loops}
        self.loop_of_child: dict[str, Loop] = {}
        for lp in self.rolling.loops:
            if self.rolling.rep.get(lp.steps[0][0], lp.steps[0][0]) != lp.steps[0][0]:
                continue  # a loop inside a later step of an outer loop: drawn through step one
            for cid in lp.steps[0]:
                self.loop_of_child[cid] = lp
        self.role: dict[str, Role] = {}  # call id -> how it is drawn
        self.owner: dict[str, str] = {}  # call id -> visible call id it is drawn as
        o = opened(trace, view)
        self.cells, self.wire, self.shared = o.cells, o.wire, o.shared
        self.open_builtin, self.closed_custom, self.cell_nodes = o.open_builtin, o.closed_custom, o.cell_nodes
        self.open_out: dict[str, dict[str, str]] = {}
        self._assign_roles()
        self._group_constructions()

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
            if c.parent is None and has_kids and (depth is None or depth > c.depth):  # a focused module too
                role = Role.ROOT
            elif c.kind == CallKind.FUNCTION:
                role = Role.CLUSTER if self.view.ops == OpsMode.ALL and has_kids else Role.NODE
            elif (
                c.kind == CallKind.MODULE
                and has_kids
                and (depth is None or c.depth < depth)
                and self.rep(c.id) not in self.closed_custom  # every step of a closed cell, not only the first
                and not self._closed_norm(c)
            ):
                role = Role.CLUSTER
            else:
                role = Role.NODE
            self.role[c.id], self.owner[c.id] = role, c.id

    def _closed_norm(self, c: Call) -> bool:
        """A hand-written norm layer made of ops only (`T5LayerNorm`, an RMSNorm) is one box at any depth,
        as `nn.LayerNorm` is: one rule for the final norm and those inside blocks (`--ops all` opens it)."""
        return (
            self.view.ops != OpsMode.ALL
            and is_norm_class(c.type)
            and all(k.kind != CallKind.MODULE for k in self.all_kids.get(c.id, ()))
        )

    def _group_constructions(self) -> None:
        """Fold mask and constant construction ops into one box each (not with `--ops all`)."""
        self.groups: dict[str, tuple[str, list[str]]] = {}
        if self.view.ops == OpsMode.ALL:
            return
        candidates = [
            c
            for c in self.trace.calls
            if self.role[c.id] == Role.NODE and c.kind == CallKind.OP and c.id not in self.rolling.within
        ]
        hidden = self.role.__getitem__
        self.groups = groups.groups(self.trace, candidates, lambda cid: hidden(cid) == Role.HIDDEN, self._cluster_of)
        for gid, (_, members) in self.groups.items():
            for cid in members:
                self.role[cid], self.owner[cid] = Role.INSIDE, gid

    def rep(self, call_id: str) -> str:
        return self.rolling.rep.get(call_id, call_id)

    def source(self, t: TensorMeta, seen: int = 0) -> str | None:
        """Visible node id that produced tensor `t` as this view draws it."""
        p = t.producer
        if p is None or seen > 50:
            return None
        if p == INPUT_PRODUCER:  # an input, or one a call handed back unchanged (`return x, lengths`)
            return self.input_ids.get(t.tid) or self.input_ids.get(t.given)
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
        return self._through(call, t, role == Role.HIDDEN, seen)

    def _through(self, call: Call, t: TensorMeta, hidden: bool, seen: int) -> str | None:
        """What made `t` as `call` (hidden, or an expanded module) passed it on, seen through the call."""
        ids = (t.tid, t.given)
        if hidden:  # a module handing its input back; a bookkeeping op passes its first one on
            given = handed_back(call, t)
            return self.source(given, seen + 1) if given is not None else None
        for out in call.outputs:  # an expanded module: look through to what made the output
            if out.tid in ids:
                return self.source(out, seen + 1)
        return None

    # ---- assembling -----------------------------------------------------------------------

    def build(self) -> Graph:
        nodes: dict[str, Node] = {}
        clusters: dict[str, Cluster] = {}
        self.extra_edges: list[Edge] = []
        self._inputs(nodes)
        self._calls(nodes, clusters)
        nodes.update((gid, self._group_node(gid)) for gid in self.groups)
        self._loop_clusters(clusters)
        edges = self._edges(nodes)
        self._outputs(nodes, edges)
        unused = drop_unused(self.trace, self.view, set(self.groups), nodes, edges, self.extra_edges)
        drawn = self._with_ids([self._edge(key, metas) for key, metas in edges.items()])
        trace = self.trace
        title = f"{trace.model_name}: {trace.model_class}" + (f" ({trace.source_file})" if trace.source_file else "")
        return Graph(
            title=title,
            direction=self.view.direction,
            nodes=tuple(nodes.values()),
            edges=tuple(drawn) + tuple(self.extra_edges),
            clusters=tuple(clusters.values()),
            loops=self.rolling.loops,
            notes=self._page_notes(),
            left_out=unused,
            places=tuple(self._places(nodes, clusters)),
            compact=self.view.compact,
            folds=tuple(
                (lp.id, repeats.members(trace, lp)) for lp in self.rolling.loops if lp.id in clusters and lp.repeat
            ),
        )

    def _inputs(self, nodes: dict[str, Node]) -> None:
        """One box per model input."""
        trace = self.trace
        self.input_ids: dict[str, str] = {}
        for i, t in enumerate(trace.inputs):
            nid = f"in-{i}"
            self.input_ids[t.tid] = nid
            shown = named_path(t.path, trace.calls[0].arg_names) if trace.calls else t.path
            nodes[nid] = Node(nid, NodeKind.INPUT, "input", shown, outputs=tensor_lines((t,), names=self.names))

    def _calls(self, nodes: dict[str, Node], clusters: dict[str, Cluster]) -> None:
        """A box or a frame for every call drawn (first loop steps only)."""
        for c in self.trace.calls:
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

    def _loop_clusters(self, clusters: dict[str, Cluster]) -> None:
        """A frame per loop over time (`loop ×T`) and per run of repeated layers drawn."""
        for lp in self.rolling.loops:
            if lp.parent is not None and self.role.get(lp.parent) not in (Role.CLUSTER, Role.ROOT):
                continue  # drawn inside its collapsed parent's box
            if self.loop_of_child.get(lp.steps[0][0]) is not lp:
                continue
            parent = self._cluster_for_call(lp.parent)
            if lp.repeat:
                label, kind = repeat_label(self.trace, lp, self.all_kids, self.children), ClusterKind.REPEAT
            else:
                label, kind = f"loop ×{lp.count}", ClusterKind.LOOP
            clusters[lp.id] = Cluster(lp.id, label, parent, kind, repeat=lp.count)

    def _outputs(self, nodes: dict[str, Node], edges: dict[tuple[str, str, int, str], list[TensorMeta]]) -> None:
        """One box per model output, with the edge from what made it."""
        for i, t in enumerate(self.trace.outputs):
            nid = f"out-{i}"
            nodes[nid] = Node(nid, NodeKind.OUTPUT, "output", t.path, inputs=tensor_lines((t,), names=self.names))
            src = self.source(t)
            if src is not None:
                edges.setdefault((src, nid, 0, ""), []).append(t)

    def _page_notes(self) -> tuple[str, ...]:
        """When the page is the root call, its words (error, notes) are the page's."""
        root = self.trace.calls[0] if self.trace.calls else None
        if root is None or self.role.get(root.id) != Role.ROOT:
            return ()
        return (*([root.error] if root.error else []), *root.notes)

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
            elif owner in self.passed_by:  # a module handing its input back: the edge it is drawn as
                out.append((c.id, self.passed_by[owner]))
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

    def _edges(self, nodes: dict[str, Node]) -> dict[tuple[str, str, int, str], list[TensorMeta]]:
        edges: dict[tuple[str, str, int, str], list[TensorMeta]] = {}
        self.edge_passes: dict[tuple[str, str, int, str], tuple[str, ...]] = {}
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
                    edges.setdefault(key, []).append(passing.as_sent(self.trace, self.role, t))
                handing = passing.passed(self.trace, self.role, t)
                if handing:
                    known = self.edge_passes.get(key, ())
                    self.edge_passes[key] = known + tuple(p for p in handing if p not in known)
        return edges

    def _edge(self, key: tuple[str, str, int, str], metas: list[TensorMeta]) -> Edge:
        """The edge `key` carrying `metas`, naming the modules it passes (`via dropout`)."""
        src, dst, back, role = key
        return passing.via(self.trace, edge_label(src, dst, back, metas, role, self.names), self.edge_passes.get(key))

    def _with_ids(self, edges: list[Edge]) -> list[Edge]:
        drawn, self.passed_by = passing.with_ids(edges)
        return drawn

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


def build(trace: Trace, view: View | None = None, loops: Rolling | None = None) -> Graph:
    """Build the view graph of `trace`.

    Args:
        trace: the record of a forward pass.
        view: depth, rolling and op filtering; defaults to everything, rolled, bookkeeping hidden.
        loops: the loops this view folds (`loops_for`); found here when not given.
    """
    view = view or View()
    if view.focus is not None:  # the focused call's own loops: its repeats are not folded onto another's
        trace, loops, view = focused(trace, view.focus), None, dataclasses.replace(view, focus=None)
    if loops is None:
        loops = loops_for(trace, view)
    return stubs.stub_far_edges(_Builder(trace, view, loops).build())
