"""How each gate of a recurrent cell was spread over the traced steps (saturation and a 10-bin histogram).

A built-in module's gates come from its verification (`Check.saturation`, one entry per layer,
direction and gate, over every step). A custom cell's gate is an op the cell's wiring names
(`WireNode.call`: its first step); the other steps are the calls of the same op at the same source
line inside the same module, and their spreads are added.
"""

from __future__ import annotations

from ..kinds import Activation, WireKind
from ..record import Call, Cell, Stats, Trace


def gate_spreads(trace: Trace, cell: Cell) -> list[tuple[str, Stats, str]]:
    """(gate, its spread over every step, the call that shows it) for each gate with values seen."""
    owner = trace.call(cell.call) if cell.call else None
    check = owner.check if owner is not None else None
    if check is not None and check.saturation:
        return [
            (g.gate, g.stats, cell.call)
            for g in check.saturation
            if g.layer == cell.layer and (not cell.direction or g.direction == cell.direction)
        ]
    found = []
    for gate in cell.gates:
        node = next((n for n in cell.nodes if n.kind == WireKind.GATE and n.name == gate.name and n.call), None)
        first = trace.call(node.call) if node is not None and node.call else None
        if first is None or first.stats is None:
            continue
        steps = [c for c in trace.calls if c.stats is not None and _same_site(trace, c, first)]
        found.append((gate.name, merged([c.stats for c in steps if c.stats is not None]), first.id))
    return found


def _same_site(trace: Trace, c: Call, first: Call) -> bool:
    if c.id == first.id:
        return True
    if c.name != first.name or c.source is None or first.source is None:
        return False
    if (c.source.file, c.source.line) != (first.source.file, first.source.line):
        return False
    a = trace.call(c.parent) if c.parent else None
    b = trace.call(first.parent) if first.parent else None
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


def bounds(kind: str) -> tuple[str, str]:
    """How the saturated ends are written: `0.01`/`0.99` for sigmoid, `−0.99`/`0.99` for tanh."""
    return ("−0.99", "0.99") if kind == Activation.TANH else ("0.01", "0.99")
