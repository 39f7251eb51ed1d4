"""The report's data for its boxes: the side panel of each element, the module tree, folded calls."""

from __future__ import annotations

from typing import Any

from ...kinds import CallKind, NodeKind, saturation_bounds
from ...record import Call, Cell, Rolling, Stats, TensorMeta, Trace, call_number, is_call_id, named_path, shape_text
from ...view.graph import Graph
from ...view.labels import name_range

Origins = dict[tuple[str, str, int], tuple[str, ...]]  # (call, in/out, index) -> where each dim's size comes from


def _tensors(
    metas: tuple[TensorMeta, ...], origins: Origins | None = None, key: tuple[str, str] = ("", "")
) -> list[dict[str, str]]:
    found = []
    for i, t in enumerate(metas):
        row = {"path": t.path, "shape": shape_text(t.shape), "dtype": t.dtype}
        dims = (origins or {}).get((key[0], key[1], i))
        if dims:
            row["axes"] = " · ".join(f"{d}={o}" if o != str(d) else str(d) for d, o in zip(t.shape, dims, strict=False))
        found.append(row)
    return found


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def gate_rows(cell: Cell) -> list[dict[str, str]]:
    """A cell's gates, with the layer and direction they belong to (stacked and bidirectional modules), and
    how saturated each gate was over the traced steps."""
    spreads = {s.gate: s.stats for s in cell.spreads}
    check = cell.check
    verdict = (
        "traced"
        if cell.custom or check is None
        else f"within {check.tolerance:.0e}"
        if check.verified
        else (f"{check.max_abs_error:.2g}" if check.max_abs_error is not None else "not verified")
    )
    return [
        {
            "layer": "" if cell.custom else str(cell.layer),
            "direction": cell.direction or "",
            "name": g.name,
            "activation": g.activation,
            "shape": shape_text(g.shape),
            "weights": "; ".join(g.weights) or "—",
            "error": verdict,
            "saturated": _saturated(spreads.get(g.name)),
        }
        for g in cell.gates
    ]


def _saturated(stats: Stats | None) -> str:
    """`2% < 0.01 · 5% > 0.99 of 960`: the saturated fractions of a gate's values, or `—`."""
    if stats is None or not stats.count:
        return "—"
    lo, hi = saturation_bounds(stats.kind)
    return f"{stats.low:.0%} < {lo} · {stats.high:.0%} > {hi} of {stats.count:,}"


def _panel(c: Call, trace: Trace, cells: list[Cell], repeat: int, origins: Origins | None = None) -> dict[str, Any]:
    src = f"{c.source.file}:{c.source.line}: {c.source.code}" if c.source else ""
    return {
        "title": c.name or trace.model_class,
        "type": c.type,
        "kind": c.kind,
        "inputs": _tensors(c.inputs, origins, (c.id, "in")),
        "outputs": _tensors(c.outputs, origins, (c.id, "out")),
        "params": [
            {"name": p.name, "shape": shape_text(p.shape), "count": f"{_count(p.shape):,}", "trainable": p.trainable}
            for p in c.param_list
        ],
        "total_params": f"{c.params:,}",
        "source": src,
        "loop": repeat,
        "error": c.error or "",
        "notes": list(c.notes),
        "gates": [dict(row, cell=cell.id) for cell in cells for row in gate_rows(cell)],
        "findings": [f"{f.severity}: {f.title}" for f in trace.findings if c.id in f.calls],
        "cells": [cell.id for cell in cells],
    }


def _end_panel(kind: NodeKind, t: TensorMeta, shown: str) -> dict[str, Any]:
    """The panel of a model input or output box."""
    tensors = _tensors((t,))
    return {
        "title": f"{kind} {shown}",
        "type": kind,
        "kind": kind,
        "inputs": tensors if kind == NodeKind.OUTPUT else [],
        "outputs": tensors if kind == NodeKind.INPUT else [],
        "params": [],
        "total_params": "0",
        "source": "",
        "loop": 1,
        "error": "",
        "notes": [],
        "gates": [],
        "cells": [],
        "findings": [],
    }


def by_call(trace: Trace) -> dict[str, list[Cell]]:
    found: dict[str, list[Cell]] = {}
    for cell in trace.cells:
        found.setdefault(cell.call, []).append(cell)
    return found


def panels(trace: Trace, graph: Graph, origins: Origins | None = None) -> dict[str, Any]:
    """The side panel of every box and frame, by SVG element id (the first call drawn there wins);
    `origins` (from the doctor) say where each size of each tensor comes from."""
    places = dict(graph.places)
    repeat = {n.call: n.repeat for n in graph.nodes if n.call}
    cells = by_call(trace)
    found: dict[str, Any] = {}
    for c in trace.calls:
        element = places.get(c.id)
        if element is not None and (element not in found or element == c.id):
            found[element] = _panel(c, trace, cells.get(c.id, []), repeat.get(c.id, 1), origins)
            if element.startswith(PASSED):  # an edge, not a box: say why
                found[element]["notes"].append("drawn as the edge it passes: it hands its input back unchanged")
    for n in graph.nodes:  # op nodes, groups and references: the call they stand for
        if n.call and n.id not in found and is_call_id(n.call):
            op = trace.call(n.call)
            found[n.id] = dict(_panel(op, trace, cells.get(op.id, []), repeat.get(op.id, 1), origins), title=n.title)
    arg_names = trace.calls[0].arg_names if trace.calls else ()
    for i, t in enumerate(trace.inputs):
        found[f"in-{i}"] = _end_panel(NodeKind.INPUT, t, named_path(t.path, arg_names))
    for i, t in enumerate(trace.outputs):
        found[f"out-{i}"] = _end_panel(NodeKind.OUTPUT, t, t.path)
    return found


def _span(first: str, last: str) -> str:
    """The shapes of a row of several calls: one text if they agree, else the first's … the last's."""
    return first if first == last else f"{first} … {last}"


PASSED = "pass-"  # the element id prefix of an edge that stands for modules handing their input back

OPEN_ROWS = 300  # a tree with more rows than this opens folded below its top level


def tree(trace: Trace, graph: Graph, rolling: Rolling) -> list[dict[str, Any]]:
    """The module tree, one row per module call drawn (loops and repeated layers once, ×N), in call order."""
    rows = _Rows(trace, graph, rolling)
    for c in trace.calls:
        if c.kind == CallKind.MODULE and c.id in rows.places and rolling.rep.get(c.id, c.id) == c.id:
            rows.add(c)
    return _folding(rows.rows)


class _Rows:
    """The tree's rows as they are found; a module called again inside one box is one row, ×N."""

    def __init__(self, trace: Trace, graph: Graph, rolling: Rolling) -> None:
        self.trace, self.rolling = trace, rolling
        self.places = dict(graph.places)
        self.counts = {lp.id: lp.count for lp in rolling.loops}
        self.repeats = {cid: lp for lp in rolling.loops if lp.repeat for cid in lp.steps[0]}
        self.rows: list[dict[str, Any]] = []
        self.row_of: dict[str, str] = {}  # module call -> the row that shows it
        self.merged: dict[tuple[str, str, str], dict[str, Any]] = {}  # (parent row, module, box) -> its row

    def _parent_row(self, c: Call) -> str:
        """The row of the nearest enclosing module drawn as a row ('' at the top)."""
        parent = c.parent
        while parent is not None and parent not in self.row_of:
            parent = self.trace.call(parent).parent
        return self.row_of.get(parent, "") if parent is not None else ""

    def _label(self, c: Call) -> tuple[str, int]:
        """The row's path (`layers.0–11` for repeated layers) and how many times it ran."""
        lp = self.repeats.get(c.id)
        if lp is not None:
            modules = [self.trace.call(x).name for x in lp.steps[-1] if self.trace.call(x).kind == CallKind.MODULE]
            return name_range(c.name, modules[-1] if modules else c.name), lp.count
        step = self.rolling.time_step(c.id)
        return c.name or "(model)", self.counts[step[0]] if step else 1

    def add(self, c: Call) -> None:
        parent = self._parent_row(c)
        label, times = self._label(c)
        inputs = ", ".join(shape_text(t.shape) for t in c.inputs[:4])
        outputs = ", ".join(shape_text(t.shape) for t in c.outputs[:4])
        key = (parent, c.name, self.places[c.id])
        same = self.merged.get(key) if self.places[c.id] != c.id else None
        if same is not None:  # called again inside a box drawn whole (a loop that does not roll): one row, ×N
            same["times"] += times
            same["inputs"] = _span(same["first_in"], inputs)
            same["outputs"] = _span(same["first_out"], outputs)
            self.row_of[c.id] = same["id"]
            return
        self.row_of[c.id] = c.id
        row = {
            "id": c.id,
            "element": self.places[c.id],
            "parent": parent,
            "path": label,
            "cls": c.type,
            "times": times,
            "inputs": inputs,
            "outputs": outputs,
            "params": c.params,
            "first_in": inputs,
            "first_out": outputs,
        }
        self.rows.append(row)
        self.merged[key] = row


def _folding(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's depth, whether it has rows inside, and whether it opens unfolded and is shown: a big tree
    opens with its top level unfolded."""
    children = {r["parent"] for r in rows}
    depth: dict[str, int] = {}
    big = len(rows) > OPEN_ROWS
    by_id: dict[str, dict[str, Any]] = {}
    for r in rows:
        depth[r["id"]] = depth.get(r["parent"], -1) + 1 if r["parent"] else 0
        r["depth"], r["has_kids"] = depth[r["id"]], r["id"] in children
        r["open"] = not (big and r["depth"] >= 1)
        r["shown"] = not r["parent"] or (by_id[r["parent"]]["shown"] and by_id[r["parent"]]["open"])
        by_id[r["id"]] = r
    return rows


def folded(rolling: Rolling) -> list[list[int]]:
    """Calls folded onto a first step, as runs [first index, last index, offset to the call drawn]:
    call i in such a run is drawn as call i − offset (a URL hash to it selects that one)."""
    runs: list[list[int]] = []
    for cid, target in sorted(rolling.rep.items(), key=lambda item: call_number(item[0])):
        if cid == target:
            continue
        i, offset = call_number(cid), call_number(cid) - call_number(target)
        if runs and runs[-1][1] == i - 1 and runs[-1][2] == offset:
            runs[-1][1] = i
        else:
            runs.append([i, i, offset])
    return runs
