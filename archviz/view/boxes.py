"""What each box and frame of the main diagram says: titles, shapes, parameter counts, cells and notes.

`Boxes` is the part of the view builder (`build._Builder`) that turns one call into a `Node` or a frame
label; the builder decides which calls are drawn and how they connect.
"""

from __future__ import annotations

from ..kinds import GETITEM, CallKind, NodeKind, WireKind, op_stem
from ..record import Call, Cell, Rolling, Trace, WireNode
from . import stacks
from .graph import Node, View
from .labels import index_text, state_row, tensor_lines


class Boxes:
    """Labels for the calls a builder draws; the builder fills in the state below."""

    trace: Trace
    view: View
    rolling: Rolling
    names: dict[str, tuple[str, ...]]
    children: dict[str | None, list[Call]]
    owner: dict[str, str]
    groups: dict[str, tuple[str, list[str]]]
    cells: dict[str, list[Cell]]
    wire: dict[str, WireNode]
    shared: dict[str, int]
    cell_nodes: set[str]
    loop_count: dict[str, int]

    def _cluster_of(self, call_id: str) -> str | None:
        raise NotImplementedError

    def _group_node(self, gid: str) -> Node:
        title, members = self.groups[gid]
        inside = set(members)
        made = [t for cid in members for t in self.trace.call(cid).outputs]
        used = {t.tid for c in self.trace.calls if c.id not in inside for t in c.inputs}
        leaving = tuple(t for t in made if t.tid in used) or tuple(made[-1:])
        ops = ", ".join(dict.fromkeys(op_stem(self.trace.call(cid).name) for cid in members))
        return Node(
            gid,
            NodeKind.OP,
            title,
            "",
            outputs=tensor_lines(leaving, names=self.names),
            call=members[0],
            cluster=self._cluster_of(members[0]),
            notes=(f"{len(members)} ops: {ops}",),
        )

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
                f"gates {check.verdict()}"
                if check and check.verified
                else f"gates not drawn: {check.note if check else 'not verified'}"
            )
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
            title=c.name if c.name != GETITEM else "getitem " + index_text(c, self._steps_of(c)),
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

    def _steps_of(self, c: Call) -> tuple[Call, ...]:
        """The calls of every step of a rolled loop that `c` (drawn for the first step) stands for."""
        if c.id not in self.rolling.step:
            return ()
        if not hasattr(self, "_folded"):
            self._folded: dict[str, list[Call]] = {}
            for k in self.trace.calls:
                self._folded.setdefault(self.rolling.rep.get(k.id, k.id), []).append(k)
        return tuple(self._folded.get(c.id, ()))

    def _inner_error(self, c: Call) -> str | None:
        failure = self.trace.failure
        if failure is None or failure.call is None or failure.call == c.id:
            return None
        if self.owner.get(failure.call) == c.id:
            return self.trace.call(failure.call).error
        return None
