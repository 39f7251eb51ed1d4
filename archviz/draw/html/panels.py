"""The report's data for its boxes: the side panel of each element, the module tree, folded calls."""

from __future__ import annotations

from typing import Any

from ...analysis.loops import Rolling
from ...analysis.saturation import bounds, gate_spreads
from ...kinds import CallKind, NodeKind
from ...record import Call, Cell, Stats, TensorMeta, Trace, is_call_id, named_path, shape_text
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


def gate_rows(cell: Cell, trace: Trace | None = None) -> list[dict[str, str]]:
    """A cell's gates, with the layer and direction they belong to (stacked and bidirectional modules), and
    how saturated each gate was over the traced steps (given the trace)."""
    spreads = {gate: stats for gate, stats, _ in gate_spreads(trace, cell)} if trace is not None else {}
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
    lo, hi = bounds(stats.kind)
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
        "gates": [dict(row, cell=cell.id) for cell in cells for row in gate_rows(cell, trace)],
        "findings": [f"{f.severity}: {f.title}" for f in trace.findings if c.id in f.calls],
        "cells": [cell.id for cell in cells],
    }


def _end_panel(kind: NodeKind, t: TensorMeta, shown: str) -> dict[str, Any]:
    """The panel of a model input or output box."""
    tensors = _tensors((t,))
    return {
        "title": f"{kind} {shown}", "type": kind, "kind": kind,
        "inputs": tensors if kind == NodeKind.OUTPUT else [], "outputs": tensors if kind == NodeKind.INPUT else [],
        "params": [], "total_params": "0", "source": "", "loop": 1, "error": "", "notes": [], "gates": [], "cells": [],
        "findings": [],
    }  # fmt: skip


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


OPEN_ROWS = 300  # a tree with more rows than this opens folded below its top level


def tree(trace: Trace, graph: Graph, rolling: Rolling) -> list[dict[str, Any]]:
    """The module tree, one row per module call drawn (loops and repeated layers once, ×N), in call order."""
    places = dict(graph.places)
    rep = rolling.rep
    counts = {lp.id: lp.count for lp in rolling.loops}
    repeats = {cid: lp for lp in rolling.loops if lp.repeat for cid in lp.steps[0]}
    rows: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    row_of: dict[str, str] = {}  # module call -> the row that shows it
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}  # (parent row, module, box) -> its row
    for c in trace.calls:
        if c.kind != CallKind.MODULE or c.id not in places or rep.get(c.id, c.id) != c.id:
            continue
        parent = c.parent
        while parent is not None and parent not in row_of:  # the nearest module drawn as a row
            parent = trace.call(parent).parent
        parent = row_of.get(parent) if parent is not None else None
        label, times = c.name or "(model)", 1
        lp = repeats.get(c.id)
        if lp is not None:
            modules = [trace.call(x).name for x in lp.steps[-1] if trace.call(x).kind == CallKind.MODULE]
            label, times = name_range(c.name, modules[-1] if modules else c.name), lp.count
        else:
            step = rolling.time_step(c.id)
            times = counts[step[0]] if step else 1
        inputs = ", ".join(shape_text(t.shape) for t in c.inputs[:4])
        outputs = ", ".join(shape_text(t.shape) for t in c.outputs[:4])
        key = (parent or "", c.name, places[c.id])
        same = merged.get(key) if places[c.id] != c.id else None
        if same is not None:  # called again inside a box drawn whole (a loop that does not roll): one row, ×N
            same["times"] += times
            same["inputs"] = _span(same["first_in"], inputs)
            same["outputs"] = _span(same["first_out"], outputs)
            row_of[c.id] = same["id"]
            continue
        row_of[c.id] = c.id
        rows.append(
            {
                "id": c.id, "element": places[c.id], "parent": parent or "", "path": label, "cls": c.type,
                "times": times, "inputs": inputs, "outputs": outputs, "params": c.params,
                "first_in": inputs, "first_out": outputs,
            }
        )  # fmt: skip
        merged[key] = rows[-1]
    children = {r["parent"] for r in rows}
    depth: dict[str, int] = {}
    big = len(rows) > OPEN_ROWS
    shown: dict[str, bool] = {}
    for r in rows:
        depth[r["id"]] = depth.get(r["parent"], -1) + 1 if r["parent"] else 0
        r["depth"], r["has_kids"] = depth[r["id"]], r["id"] in children
        r["open"] = not (big and r["depth"] >= 1)  # a big tree opens with its top level unfolded
        r["shown"] = not r["parent"] or (shown[r["parent"]] and by_id[r["parent"]]["open"])
        shown[r["id"]], by_id[r["id"]] = r["shown"], r
    return rows


def folded(rolling: Rolling) -> list[list[int]]:
    """Calls folded onto a first step, as runs [first index, last index, offset to the call drawn]:
    call i in such a run is drawn as call i − offset (a URL hash to it selects that one)."""
    runs: list[list[int]] = []
    for cid, target in sorted(rolling.rep.items(), key=lambda item: int(item[0][5:])):
        if cid == target:
            continue
        i, offset = int(cid[5:]), int(cid[5:]) - int(target[5:])
        if runs and runs[-1][1] == i - 1 and runs[-1][2] == offset:
            runs[-1][1] = i
        else:
            runs.append([i, i, offset])
    return runs
