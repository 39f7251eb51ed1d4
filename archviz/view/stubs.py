"""Shared side inputs as short references, not long edges.

A tensor read by many calls far apart — an attention mask, position ids, a rotary table, an encoder
memory — would otherwise pull one edge from its maker to every reader across the whole diagram, and
Graphviz's crossing minimisation is known to blow up on exactly that. Each far reader gets instead a
small reference box beside it (`↗ mask construction`, the same shape), linked to the maker.
"""

from __future__ import annotations

import dataclasses

from ..kinds import NodeKind
from ..record import call_number, is_call_id
from .graph import Edge, Graph, Node

FAR = 12  # visible boxes between maker and reader, in execution order, beyond which a reader is far
MANY = 3  # frames (modules, loops) its far readers sit in that make a maker's edges references


def _order(n: Node) -> float:
    if n.kind == NodeKind.INPUT:
        return -1.0
    if n.kind == NodeKind.OUTPUT:
        return float("inf")
    return float(call_number(n.call)) if n.call is not None and is_call_id(n.call) else float("inf")


def stub_far_edges(graph: Graph) -> Graph:
    """`graph` with the edges from a maker to its many far readers replaced by reference boxes."""
    nodes = {n.id: n for n in graph.nodes}
    ranked = sorted(nodes.values(), key=_order)
    position = {n.id: i for i, n in enumerate(ranked)}
    readers: dict[str, list[Edge]] = {}
    for e in graph.edges:
        if not e.back and e.src in position and e.dst in position and nodes[e.dst].kind != NodeKind.OUTPUT:
            if position[e.dst] - position[e.src] > FAR:
                readers.setdefault(e.src, []).append(e)
    # Readers spread over several frames (one per layer) — not one module reading a state thrice.
    far = {src: found for src, found in readers.items() if len({nodes[e.dst].cluster for e in found}) >= MANY}
    if not far:
        return graph
    replaced = {id(e) for found in far.values() for e in found}
    edges = [e for e in graph.edges if id(e) not in replaced]
    refs: list[Node] = []
    for src, found in far.items():
        maker = nodes[src]
        title = maker.title if maker.kind != NodeKind.INPUT else f"{maker.title} {maker.subtitle}"
        for k, e in enumerate(found):
            ref = Node(
                f"ref-{src}-{k}",
                NodeKind.REFERENCE,
                title,
                e.label.split("\n")[0],
                call=maker.call,
                cluster=nodes[e.dst].cluster,
                refers=src,
            )
            refs.append(ref)
            edges.append(dataclasses.replace(e, src=ref.id))
    return dataclasses.replace(graph, nodes=graph.nodes + tuple(refs), edges=tuple(edges))
