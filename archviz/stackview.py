"""An opened built-in recurrent module as view nodes: its layers and directions, and how they combine.

Each layer/direction is one cell node (its gate wiring is in its own drill-in diagram); between
layers the directions are concatenated (and dropout applied, when set); the final states of every
layer and direction are stacked into h_n [layers·directions, B, H] (and c_n).
"""

from __future__ import annotations

from .record import Call, Cell, shape_text
from .viewgraph import Cluster, Edge, Node

CELL = "cell"


def _out(call: Call, *paths: str) -> tuple[int, ...]:
    return next((t.shape for t in call.outputs if t.path in paths), ())


def expand(call: Call, cells: list[Cell], cluster: str | None) -> tuple[list[Node], list[Edge], Cluster, dict[str, str]]:
    """Nodes, edges and the cluster of an opened recurrent call; the map says which node emits each output path."""
    cfg = dict(call.config)
    cid = call.id
    box = Cluster("open-" + cid, f"{call.name}: {call.type} (opened: layers and directions)", cluster, "module")
    inside = box.id
    ins = tuple(f"{t.path} {shape_text(t.shape)}" for t in call.inputs)
    nodes = [Node(cid + ":in", "input", "input", call.name, outputs=ins, call=cid, cluster=inside)]
    edges: list[Edge] = []
    layers = int(cfg.get("num_layers", "1"))
    directions = 2 if cfg.get("bidirectional") == "True" else 1
    seq_paths = ("output[0].data", "output[0]", "output")
    prev = cid + ":in"
    for k in range(layers):
        mine = [c for c in cells if c.layer == k]
        for cell in mine:
            nid = f"{cid}:{cell.id}"
            gates = " ".join(f"{g.name}:{'σ' if g.activation == 'sigmoid' else g.activation}" for g in cell.gates)
            status = "verified" if cell.check is not None and cell.check.verified else "not verified"
            x = next((n.shape for n in cell.nodes if n.id == "x"), ())
            h = next((n.shape for n in cell.nodes if n.id == "h1"), ())
            lines = (f"gates {gates}", f"x(t) {shape_text(x)} → h(t) {shape_text(h)}" if x else "", status)
            title = f"layer {k} {cell.direction}" if cfg.get("cell") != "True" else call.name
            nodes.append(
                Node(nid, CELL, title, f"{cell.kind} cell ×{cell.steps}", outputs=tuple(s for s in lines if s),
                     call=cid, cluster=inside, repeat=cell.steps, cells=(cell.id,))
            )  # fmt: skip
            edges.append(Edge(prev, nid, "x(t)" if k == 0 else "layer input"))
            edges.append(Edge(nid, nid, f"h(t−1) {shape_text(h)} ×{cell.steps}" if h else "state", back=True, repeat=cell.steps))
        joined = f"{cid}:cat{k}"
        width = directions * (int(cfg.get("proj_size", "0")) or int(cfg["hidden_size"]))
        label = "concat directions" if directions == 2 else "outputs of all steps"
        nodes.append(Node(joined, "op", label, "", outputs=(f"[…, {width}] per step",), call=cid, cluster=inside))
        edges.extend(Edge(f"{cid}:{c.id}", joined, "h(t), every t") for c in mine)
        prev = joined
        if float(cfg.get("dropout", "0")) > 0 and k < layers - 1:
            drop = f"{cid}:drop{k}"
            nodes.append(Node(drop, "op", f"dropout p={cfg['dropout']}", "", call=cid, cluster=inside,
                              outputs=("active" if cfg.get("training") == "True" else "off in eval mode",)))  # fmt: skip
            edges.append(Edge(joined, drop, ""))
            prev = drop
    outputs = {p: prev for p in seq_paths}
    h_n = _out(call, "output[1][0]", "output[1]")
    if cfg.get("cell") != "True" and h_n:
        order = ", ".join(f"l{c.layer} {c.direction[:3]}" for c in cells)
        hn = cid + ":hn"
        c_n = _out(call, "output[1][1]")
        lines = (f"h_n {shape_text(h_n)}",) + ((f"c_n {shape_text(c_n)}",) if c_n else ()) + (f"rows: {order}",)
        nodes.append(Node(hn, "op", "stack final states", "", outputs=lines, call=cid, cluster=inside))
        edges.extend(Edge(f"{cid}:{c.id}", hn, "h(T)") for c in cells)
        outputs.update({"output[1][0]": hn, "output[1]": hn, "output[1][1]": hn})
    return nodes, edges, box, outputs
