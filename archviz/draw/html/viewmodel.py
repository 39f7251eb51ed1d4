"""Trace + view graph -> the report's view model: plain strings, numbers, lists and dicts for the template."""

from __future__ import annotations

import base64
import datetime as _dt
import re
from typing import Any

from markupsafe import Markup

from ...kinds import CallKind, NodeKind
from ...record import Call, Cell, TensorMeta, Trace, is_call_id, shape_text
from ...version import __version__
from ...view import names
from ...view.graph import Graph
from .. import gates

_BYTES = {"float64": 8, "int64": 8, "complex64": 8, "float32": 4, "int32": 4, "float16": 2, "bfloat16": 2, "int16": 2}


def inline_svg(svg: str, prefix: str = "") -> Markup:
    """The <svg> element of Graphviz output, without prolog, doctype or comments; safe to inline.

    `prefix` makes the element ids of a secondary diagram unique within the page.
    """
    start = svg.find("<svg")
    body = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.DOTALL)
    if prefix:
        body = re.sub(r'\sid="([^"]*)"', lambda m: f' id="{prefix}-{m[1]}"', body)
    body = re.sub(r'\s(?:xlink:)?href="(?!#)[^"]*"', "", body)  # drill-in links: the report has them inline
    body = re.sub(r"\son\w+=\"[^\"]*\"", "", body)  # Graphviz never emits handlers; never let one through
    return Markup(body)


def _tensors(metas: tuple[TensorMeta, ...]) -> list[dict[str, str]]:
    return [{"path": t.path, "shape": shape_text(t.shape), "dtype": t.dtype} for t in metas]


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _totals(trainable: int, frozen: int, size: int) -> dict[str, str]:
    return {
        "total": f"{trainable + frozen:,}",
        "trainable": f"{trainable:,}",
        "frozen": f"{frozen:,}",
        "size_mb": f"{size / 2**20:.2f}",
    }


def _param_totals(trace: Trace) -> dict[str, str]:
    meta = dict(trace.meta)
    if "params_trainable" in meta:  # counted by the tracer over model.parameters(): tied weights once
        return _totals(*(int(meta[k]) for k in ("params_trainable", "params_frozen", "params_bytes")))
    seen: set[str] = set()
    trainable = frozen = size = 0
    for c in trace.calls:
        if c.kind != CallKind.MODULE or c.name in seen:
            continue
        seen.add(c.name)
        for p in c.param_list:
            n = _count(p.shape)
            trainable += n if p.trainable else 0
            frozen += 0 if p.trainable else n
            size += n * _BYTES.get(p.dtype, 4)
    return _totals(trainable, frozen, size)


def _gate_rows(cell: Cell) -> list[dict[str, str]]:
    err = cell.check.max_abs_error if cell.check and cell.check.max_abs_error is not None else None
    unchecked = "traced" if cell.custom else "not verified"
    return [
        {
            "name": g.name,
            "activation": g.activation,
            "shape": shape_text(g.shape),
            "weights": "; ".join(g.weights) or "—",
            "error": f"{err:.2g}" if err is not None else unchecked,
        }
        for g in cell.gates
    ]


def _panel(c: Call, trace: Trace, cells: list[Cell], loops: dict[str, int]) -> dict[str, Any]:
    src = f"{c.source.file}:{c.source.line}: {c.source.code}" if c.source else ""
    return {
        "title": c.name or trace.model_class,
        "type": c.type,
        "kind": c.kind,
        "inputs": _tensors(c.inputs),
        "outputs": _tensors(c.outputs),
        "params": [
            {"name": p.name, "shape": shape_text(p.shape), "count": f"{_count(p.shape):,}", "trainable": p.trainable}
            for p in c.param_list
        ],
        "total_params": f"{c.params:,}",
        "source": src,
        "loop": loops.get(c.id, 1),
        "error": c.error or "",
        "gates": [dict(row, cell=cell.id) for cell in cells for row in _gate_rows(cell)],
        "cells": [cell.id for cell in cells],
    }


def _end_panel(kind: NodeKind, t: TensorMeta) -> dict[str, Any]:
    """The panel of a model input or output box."""
    tensors = _tensors((t,))
    return {
        "title": f"{kind} {t.path}", "type": kind, "kind": kind,
        "inputs": tensors if kind == NodeKind.OUTPUT else [], "outputs": tensors if kind == NodeKind.INPUT else [],
        "params": [], "total_params": "0", "source": "", "loop": 1, "error": "", "gates": [], "cells": [],
    }  # fmt: skip


def _by_call(trace: Trace) -> dict[str, list[Cell]]:
    by_call: dict[str, list[Cell]] = {}
    for cell in trace.cells:
        by_call.setdefault(cell.call, []).append(cell)
    return by_call


def panels_and_layers(trace: Trace, graph: Graph) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The side panel of every box (by element id), and the layer table's rows."""
    places = dict(graph.places)
    loops = {n.call: n.repeat for n in graph.nodes if n.call}
    by_call = _by_call(trace)
    panels: dict[str, Any] = {}
    layers = []
    for c in trace.calls:
        element = places.get(c.id)
        if element is None:
            continue
        if element not in panels or element == c.id:
            panels[element] = _panel(c, trace, by_call.get(c.id, []), loops)
        layers.append(
            {
                "element": element,
                "path": c.name or "(model)",
                "cls": c.type,
                "inputs": ", ".join(shape_text(t.shape) for t in c.inputs[:4]),
                "outputs": ", ".join(shape_text(t.shape) for t in c.outputs[:4]),
                "params": c.params,
                "depth": c.depth,
            }
        )
    for n in graph.nodes:  # op nodes: their own panels
        if n.call and n.id not in panels and is_call_id(n.call):
            op = trace.call(n.call)
            panels[n.id] = _panel(op, trace, by_call.get(op.id, []), loops)
    for i, t in enumerate(trace.inputs):
        panels[f"in-{i}"] = _end_panel(NodeKind.INPUT, t)
    for i, t in enumerate(trace.outputs):
        panels[f"out-{i}"] = _end_panel(NodeKind.OUTPUT, t)
    return panels, layers


def cell_sections(trace: Trace, graph: Graph, stem: str, svgs: dict[str, str]) -> list[dict[str, Any]]:
    """One report section per recurrent cell: its drill-in SVG and gate table."""
    places = dict(graph.places)
    by_call = _by_call(trace)
    cells = []
    for cell in trace.cells:
        name = names.cell_name(stem, cell, len(by_call[cell.call]) > 1)
        cells.append(
            {
                "id": cell.id,
                "title": gates.cell_title(cell),
                "element": places.get(cell.call, cell.call),
                "svg": inline_svg(svgs[name], cell.id) if name in svgs else Markup(""),
                "gates": _gate_rows(cell),
                "notes": list(cell.notes),
                "verified": bool(cell.check and cell.check.verified),
                "custom": cell.custom,
            }
        )
    return cells


def failure_section(trace: Trace, graph: Graph) -> dict[str, str] | None:
    """Where the forward pass failed, for the report's failure section."""
    if trace.failure is None:
        return None
    places = dict(graph.places)
    where = trace.call(trace.failure.call) if trace.failure.call else None
    return {
        "type": trace.failure.exc_type,
        "message": trace.failure.message,
        "where": f"{where.type} '{where.name}'" if where else "the forward pass",
        "element": places.get(where.id, where.id) if where else "",
        "inputs": ", ".join(f"{t.path} {shape_text(t.shape)}" for t in where.inputs) if where else "",
    }


def _traced(meta: dict[str, str]) -> str:
    """How the forward pass ran: training or eval mode, autograd on or off."""
    mode = "training mode" if meta.get("training") == "True" else "eval mode"
    grad = meta.get("autograd")
    if grad is None:
        return mode
    how = "autograd on (--grad)" if grad == "on" else "autograd off, as under torch.no_grad() (--grad turns it on)"
    return f"{mode}, {how}"


def view_model(trace: Trace, graph: Graph, stem: str, svgs: dict[str, str], notes: list[str]) -> dict[str, Any]:
    """Everything the template shows, as plain data (strings, numbers, lists, dicts, Markup)."""
    panels, layers = panels_and_layers(trace, graph)
    cells = cell_sections(trace, graph, stem, svgs)
    warnings = list(notes)
    warnings += [f"{c['title']}: {' '.join(c['notes'])}" for c in cells if not c["custom"] and not c["verified"]]
    meta = dict(trace.meta)
    record_json = trace.to_json()
    return {
        "title": f"{trace.model_name}: {trace.model_class}",
        "model_name": trace.model_name,
        "model_class": trace.model_class,
        "source_file": trace.source_file or "—",
        "params": _param_totals(trace),
        "inputs": _tensors(trace.inputs),
        "outputs": _tensors(trace.outputs),
        "archviz_version": __version__,
        "torch_version": meta.get("torch", "?"),
        "date": _dt.date.today().isoformat(),
        "traced": _traced(meta),
        "svg": inline_svg(svgs.get(stem, "")),
        "layers": layers,
        "cells": cells,
        "warnings": warnings,
        "failure": failure_section(trace, graph),
        "loops": [
            {"id": lp.id, "count": lp.count, "state": ", ".join(shape_text(s) for s in lp.state)} for lp in graph.loops
        ],
        "json_name": f"{stem}.json",
        "json_href": "data:application/json;base64," + base64.b64encode(record_json.encode("utf-8")).decode("ascii"),
        "panels": panels,
    }
