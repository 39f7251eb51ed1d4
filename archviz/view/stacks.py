"""An opened built-in recurrent module as view nodes: its layers and directions, and how they combine.

Each layer/direction is one cell node (its gate wiring is in its own drill-in diagram); between
layers the directions are concatenated (and dropout applied, when set); the final states of every
layer and direction are stacked into h_n [layers·directions, B, H] (and c_n).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kinds import (
    C_N_PATH,
    CELL_HIDDEN_NODE,
    CELL_INPUT_NODE,
    H_N_PATHS,
    SEQUENCE_PATHS,
    Activation,
    ClusterKind,
    Layout,
    NodeKind,
)
from ..record import Call, Cell, RecurrentConfig, shape_text
from .graph import Cluster, Edge, Graph, Node


@dataclass
class Opened:
    """The parts of an opened recurrent call; `emits` says which node emits each output path."""

    box: Cluster
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    emits: dict[str, str] = field(default_factory=dict)


def _out(call: Call, *paths: str) -> tuple[int, ...]:
    return next((t.shape for t in call.outputs if t.path in paths), ())


def expand(
    call: Call, cells: list[Cell], cluster: str | None
) -> tuple[list[Node], list[Edge], Cluster, dict[str, str]]:
    """Nodes, edges and the cluster of an opened recurrent call; the map says which node emits each output path."""
    assert call.config is not None, "only built-in recurrent calls are opened"
    cfg = call.config
    cid = call.id
    box = Cluster(
        "open-" + cid, f"{call.name}: {call.type} (opened: layers and directions)", cluster, ClusterKind.MODULE
    )
    opened = Opened(box)
    ins = tuple(f"{t.path} {shape_text(t.shape)}" for t in call.inputs)
    opened.nodes.append(Node(cid + ":in", NodeKind.INPUT, "input", call.name, outputs=ins, call=cid, cluster=box.id))
    prev = cid + ":in"
    for k in range(cfg.num_layers):
        prev = _layer(opened, call, cfg, [c for c in cells if c.layer == k], k, prev)
    opened.emits = {p: prev for p in SEQUENCE_PATHS}
    _final_states(opened, call, cfg, cells)
    return opened.nodes, opened.edges, opened.box, opened.emits


def cell_lines(cell: Cell) -> tuple[str, ...]:
    """What a cell box says: its gates, x(t) → h(t) shapes, and whether the wiring was verified."""
    gates = " ".join(f"{g.name}:{'σ' if g.activation == Activation.SIGMOID else g.activation}" for g in cell.gates)
    status = "verified" if cell.check is not None and cell.check.verified else "not verified"
    x = next((n.shape for n in cell.nodes if n.id == CELL_INPUT_NODE), ())
    h = next((n.shape for n in cell.nodes if n.id == CELL_HIDDEN_NODE), ())
    lines = (f"gates {gates}", f"x(t) {shape_text(x)} → h(t) {shape_text(h)}" if x else "", status)
    return tuple(s for s in lines if s)


# What each argument of nn.LSTMCell / GRUCell / RNNCell is, by its path in the call.
_CELL_ROLES = {
    "args[0]": "x(t)",
    "kwargs['input']": "x(t)",
    "args[1]": "h(t−1)",
    "kwargs['hx']": "h(t−1)",
    "args[1][0]": "h(t−1)",
    "kwargs['hx'][0]": "h(t−1)",
    "args[1][1]": "c(t−1)",
    "kwargs['hx'][1]": "c(t−1)",
}


def cell_input_role(path: str) -> str:
    """`h(t−1)` for the `args[1][0]` of an nn.LSTMCell call, and so on; '' for anything else."""
    return _CELL_ROLES.get(path, "")


def _layer(opened: Opened, call: Call, cfg: RecurrentConfig, mine: list[Cell], k: int, prev: str) -> str:
    """One layer's cell nodes, their concatenation and dropout; returns the node the next layer reads."""
    cid, inside = call.id, opened.box.id
    for cell in mine:
        nid = f"{cid}:{cell.id}"
        h = next((n.shape for n in cell.nodes if n.id == CELL_HIDDEN_NODE), ())
        title = f"layer {k} {cell.direction}" if not cfg.cell else call.name
        opened.nodes.append(
            Node(
                nid,
                NodeKind.CELL,
                title,
                f"{cell.kind} cell ×{cell.steps}",
                outputs=cell_lines(cell),
                call=cid,
                cluster=inside,
                repeat=cell.steps,
                cells=(cell.id,),
            )
        )
        opened.edges.append(Edge(prev, nid, "x(t)" if k == 0 else "layer input"))
        back = f"h(t−1) {shape_text(h)} ×{cell.steps}" if h else "state"
        opened.edges.append(Edge(nid, nid, back, back=True, repeat=cell.steps))
    joined = f"{cid}:cat{k}"
    width = cfg.directions * (cfg.proj_size or cfg.hidden_size)
    label = "concat directions" if cfg.directions == 2 else "outputs of all steps"
    opened.nodes.append(
        Node(joined, NodeKind.OP, label, "", outputs=(f"[…, {width}] per step",), call=cid, cluster=inside)
    )
    opened.edges.extend(Edge(f"{cid}:{c.id}", joined, "h(t), every t") for c in mine)
    if cfg.dropout > 0 and k < cfg.num_layers - 1:
        drop = f"{cid}:drop{k}"
        state = "active" if cfg.training else "off in eval mode"
        opened.nodes.append(
            Node(drop, NodeKind.OP, f"dropout p={cfg.dropout}", "", call=cid, cluster=inside, outputs=(state,))
        )
        opened.edges.append(Edge(joined, drop, ""))
        return drop
    return joined


def _final_states(opened: Opened, call: Call, cfg: RecurrentConfig, cells: list[Cell]) -> None:
    """The node that stacks every layer's and direction's final state into h_n (and c_n)."""
    h_n = _out(call, *H_N_PATHS)
    if cfg.cell or not h_n:
        return
    cid = call.id
    order = ", ".join(f"l{c.layer} {(c.direction or '')[:3]}" for c in cells)
    hn = cid + ":hn"
    c_n = _out(call, C_N_PATH)
    lines = (f"h_n {shape_text(h_n)}",) + ((f"c_n {shape_text(c_n)}",) if c_n else ()) + (f"rows: {order}",)
    opened.nodes.append(Node(hn, NodeKind.OP, "stack final states", "", outputs=lines, call=cid, cluster=opened.box.id))
    opened.edges.extend(Edge(f"{cid}:{c.id}", hn, "h(T)") for c in cells)
    opened.emits.update(dict.fromkeys((*H_N_PATHS, C_N_PATH), hn))


def overview(call: Call, cells: list[Cell]) -> Graph:
    """The drill-in view of a stacked or bidirectional module: its layers, directions and final states."""
    nodes, edges, box, _ = expand(call, cells, None)
    return Graph(f"{call.name}: {call.type} — layers and directions", Layout.TB, tuple(nodes), tuple(edges), (box,))
