"""Cells written as a loop inside one forward: one step of the loop is the cell (torchaudio's `_CustomLSTM`).

When a module's own `forward` loops over time and gates with σ/tanh right there (not inside a submodule
called per step), the first step's calls are analysed as a custom cell: its inputs are the values that
enter the step from outside it, its outputs the values that leave it (to the next step or after the
loop), and each value one step hands to the next is a recurrent edge. Only those handed-on values are
the step's state: a value collected per step and read after the loop (a decoder's stop token) is an
output, and a σ that makes it is no gate.
"""

from __future__ import annotations

import dataclasses
import re

from ..kinds import CallKind, WireKind
from ..record import Call, Cell, TensorMeta, Trace, WireEdge, is_call_id
from ..record.loops import Loop, Rolling
from . import custom_cells
from .ops import activation

_FOR = re.compile(r"^\s*(?:async\s+)?for\s+([A-Za-z_]\w*)\s+in\b")


_POSITION = re.compile(r"output\[(\d+)\]$")  # one element of a returned tuple, not deeper


def _name(trace: Trace, t: TensorMeta, fallback: str) -> str:
    """The variable a tensor was bound to where it was made (`h`, `c`, `gates`), else `fallback`."""
    if not is_call_id(t.producer):
        return fallback
    producer = trace.call(t.producer)
    code = producer.source.code if producer.source else ""
    targets = custom_cells.assigned_names(code)
    if len(targets) == 1:
        return targets[0]
    if len(targets) > 1:  # `h, c = self.lstm(x, (h, c))`: the name unpacked at this output's position
        path = next((o.path for o in producer.outputs if o.tid == t.tid), "")
        m = _POSITION.match(path)
        if m and int(m[1]) < len(targets):
            return targets[int(m[1])]
    loop = _FOR.match(code)
    return loop[1] if loop else fallback


class _Step:
    """The calls of one loop step (bookkeeping after its last call included) and what crosses its border."""

    def __init__(self, trace: Trace, lp: Loop, k: int) -> None:
        index = trace.index
        first = index.position(lp.steps[k][0])
        last = index.position(lp.steps[k + 1][0]) - 1 if k + 1 < lp.count else index.end(lp.steps[k][-1])
        self.calls = trace.calls[first : last + 1]
        self.ids = {c.id for c in self.calls}

    def entering(self) -> list[TensorMeta]:
        """Tensors read in the step that were made outside it, once each."""
        seen: dict[str, TensorMeta] = {}
        for c in self.calls:
            for t in c.inputs:
                if t.producer not in self.ids and t.tid not in seen:
                    seen[t.tid] = t
        return list(seen.values())


def _weights(first: _Step, second: _Step) -> frozenset[str]:
    """Parameters and constants step one reads (tensors never seen made), except where step two reads a
    value step one made in the same place (`h = self.h0` before the loop is a state, not a weight)."""
    slots = set()
    for c0, c1 in zip(first.calls, second.calls, strict=False):
        for t0, t1 in zip(c0.inputs, c1.inputs, strict=False):
            if t1.producer in first.ids:
                slots.add(t0.tid)
    return frozenset(t.tid for t in first.entering() if t.producer is None and t.tid not in slots)


def _gates_directly(step: list[Call]) -> bool:
    """The step itself applies σ or tanh (not only inside modules it calls; nn.Sigmoid counts)."""
    return any(activation(c) is not None for c in step)


def _gated_directly(cell: Cell, step: list[Call]) -> bool:
    """One of the cell's gates is applied by the step itself, not only inside a cell module it calls
    (a decoder loop around a hand-written GRU is not a second cell with the GRU's gates)."""
    ids = {c.id for c in step}
    return any(n.kind == WireKind.GATE and n.call in ids for n in cell.nodes)


def loop_cells(
    trace: Trace, kids: dict[str | None, list[Call]], rolling: Rolling, first_id: int, taken: set[str]
) -> list[Cell]:
    """A custom cell for each loop inside one module's forward that gates directly; `taken`: module paths
    already analysed as cells (they are skipped, and the new ones are added)."""
    found: list[Cell] = []
    for lp in rolling.time_loops:
        if lp.parent is None or lp.count < 2 or rolling.rep.get(lp.steps[0][0], lp.steps[0][0]) != lp.steps[0][0]:
            continue
        parent = trace.call(lp.parent)
        step0 = [trace.call(cid) for cid in lp.steps[0]]
        if (
            parent.kind != CallKind.MODULE
            or parent.config is not None
            or parent.name in taken
            or not _gates_directly(step0)
        ):
            continue
        cell = _analyse(trace, kids, parent, lp, step0, f"cell-{first_id + len(found)}")
        if cell.gates and _gated_directly(cell, step0):
            taken.add(parent.name)
            found.append(cell)
    return found


def _analyse(
    trace: Trace, kids: dict[str | None, list[Call]], parent: Call, lp: Loop, step0: list[Call], cid: str
) -> Cell:
    first, second = _Step(trace, lp, 0), _Step(trace, lp, 1)
    inputs = []
    for t in first.entering():
        inputs.append(dataclasses.replace(t, path=_name(trace, t, t.path)))
    # What leaves step one: what step two reads from it (the state), and what later calls read.
    outputs: dict[str, TensorMeta] = {}
    back: list[WireEdge] = []
    carried: set[str] = set()
    for t in second.entering():
        if t.producer in first.ids:
            name = _name(trace, t, "state")
            carried.add(t.tid)
            outputs.setdefault(t.tid, dataclasses.replace(t, path=name))
            into = next((i.path for i in inputs if i.path == name), None)
            if into is not None:
                back.append(WireEdge("out:" + name, "in:" + into, t.shape, back=True))
    for c in trace.calls[trace.index.position(lp.steps[-1][0]) :]:
        for t in c.inputs:
            if t.producer in first.ids and c.id not in first.ids and t.tid not in outputs:
                outputs[t.tid] = dataclasses.replace(t, path=_name(trace, t, "output"))
    root = dataclasses.replace(parent, inputs=tuple(inputs), outputs=tuple(outputs.values()))
    step_kids = {**kids, parent.id: step0}
    cell = custom_cells.analyse(
        trace,
        step_kids,
        root,
        cid,
        lp.count,
        back=tuple(back),
        per_step=True,
        carried=frozenset(carried),
        weights=_weights(first, second),
    )
    return dataclasses.replace(
        cell, notes=(*cell.notes, f"a loop inside {parent.name or 'the model'}.forward: one step of ×{lp.count}")
    )
