"""How each gate of a recurrent cell was spread over the traced steps (saturation and a 10-bin histogram).

A built-in module's gates come from its verification (`Check.saturation`, one entry per layer,
direction and gate, over every step). A custom cell's gate is an op the cell's wiring names
(`WireNode.call`: its first step); the other steps are the calls of the same op at the same source
line inside the same module, and their spreads are added.
"""

from __future__ import annotations

from ..kinds import Activation, WireKind
from ..record import Call, Cell, GateSpread, Stats, Trace


def gate_spreads(trace: Trace, cell: Cell) -> tuple[GateSpread, ...]:
    """Each gate with values seen: its spread over every step, and the call that shows it."""
    owner = trace.index.get(cell.call)
    check = owner.check if owner is not None else None
    if check is not None and check.saturation:
        return tuple(
            GateSpread(g.gate, g.stats, cell.call)
            for g in check.saturation
            if g.layer == cell.layer and (not cell.direction or g.direction == cell.direction)
        )
    return _custom_spreads(trace, cell)


def _custom_spreads(trace: Trace, cell: Cell) -> tuple[GateSpread, ...]:
    """A hand-written cell's gates: each gate op's spread, added up over the same op in every step."""
    found = []
    with_stats = [c for c in trace.calls if c.stats is not None]
    for gate in cell.gates:
        node = next((n for n in cell.nodes if n.kind == WireKind.GATE and n.name == gate.name and n.call), None)
        first = trace.index.get(node.call) if node is not None else None
        if first is None or first.stats is None:
            continue
        steps = [c for c in with_stats if _same_site(trace, c, first)]
        found.append(GateSpread(gate.name, merged([c.stats for c in steps if c.stats is not None]), first.id))
    return tuple(found)


def _same_site(trace: Trace, c: Call, first: Call) -> bool:
    if c.id == first.id:
        return True
    if c.name != first.name or c.source is None or first.source is None:
        return False
    if (c.source.file, c.source.line) != (first.source.file, first.source.line):
        return False
    a, b = trace.index.get(c.parent), trace.index.get(first.parent)
    return (a.name if a else None) == (b.name if b else None)


def merged(spreads: list[Stats]) -> Stats:
    """The spread of several tensors' values together (one gate over its steps)."""
    total = sum(s.count for s in spreads)
    if not spreads or not total:
        return spreads[0] if spreads else Stats(Activation.SIGMOID, 0, 0.0, 0.0, (0,) * 10)
    hist = tuple(sum(col) for col in zip(*(s.hist for s in spreads), strict=True))
    low = sum(s.low * s.count for s in spreads) / total
    high = sum(s.high * s.count for s in spreads) / total
    return Stats(spreads[0].kind, total, low, high, hist)
