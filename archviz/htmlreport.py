"""View graph + trace -> one self-contained HTML report, rendered through templates/ with jinja2.

The template gets a plain view-model dict; the diagram SVGs come from Graphviz (labels already
escaped by dot.py), the data for the side panel is JSON inside a non-executed script element, and
the page's own script and style are allowed by hash in a Content-Security-Policy.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import re
from typing import Any

import jinja2
from markupsafe import Markup

from . import __version__, gatesdot
from .record import MODULE, Call, Cell, TensorMeta, Trace, shape_text
from .resources import templates_dir
from .viewgraph import Graph

_BYTES = {"float64": 8, "int64": 8, "complex64": 8, "float32": 4, "int32": 4, "float16": 2, "bfloat16": 2, "int16": 2}


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _inline_svg(svg: str, prefix: str = "") -> Markup:
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


def _param_totals(trace: Trace) -> dict[str, str]:
    meta = dict(trace.meta)
    if "params_trainable" in meta:  # counted by the tracer over model.parameters(): tied weights once
        trainable, frozen, size = (int(meta[k]) for k in ("params_trainable", "params_frozen", "params_bytes"))
        return {"total": f"{trainable + frozen:,}", "trainable": f"{trainable:,}", "frozen": f"{frozen:,}", "size_mb": f"{size / 2**20:.2f}"}
    seen: set[str] = set()
    trainable = frozen = size = 0
    for c in trace.calls:
        if c.kind != MODULE or c.name in seen:
            continue
        seen.add(c.name)
        for p in c.param_list:
            n = 1
            for d in p.shape:
                n *= d
            trainable += n if p.trainable else 0
            frozen += 0 if p.trainable else n
            size += n * _BYTES.get(p.dtype, 4)
    return {"total": f"{trainable + frozen:,}", "trainable": f"{trainable:,}", "frozen": f"{frozen:,}", "size_mb": f"{size / 2**20:.2f}"}


def _gate_rows(cell: Cell) -> list[dict[str, str]]:
    err = cell.check.max_abs_error if cell.check and cell.check.max_abs_error is not None else None
    rows = []
    for g in cell.gates:
        rows.append(
            {
                "name": g.name,
                "activation": g.activation,
                "shape": shape_text(g.shape),
                "weights": "; ".join(g.weights) or "—",
                "error": f"{err:.2g}" if err is not None else ("not verified" if cell.kind != "custom" else "traced"),
            }
        )
    return rows


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


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def view_model(trace: Trace, graph: Graph, stem: str, svgs: dict[str, str], notes: list[str]) -> dict[str, Any]:
    """Everything the template shows, as plain data (strings, numbers, lists, dicts, Markup)."""
    places = dict(graph.places)
    loops = {n.call: n.repeat for n in graph.nodes if n.call}
    by_call: dict[str, list[Cell]] = {}
    for cell in trace.cells:
        by_call.setdefault(cell.call, []).append(cell)
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
        if n.call and n.id not in panels and n.call.startswith("call-"):
            c = trace.call(n.call)
            panels[n.id] = _panel(c, trace, by_call.get(c.id, []), loops)
    for i, t in enumerate(trace.inputs):
        panels[f"in-{i}"] = {"title": "input " + t.path, "type": "input", "kind": "input", "inputs": [], "outputs": _tensors((t,)),
                             "params": [], "total_params": "0", "source": "", "loop": 1, "error": "", "gates": [], "cells": []}  # fmt: skip
    for i, t in enumerate(trace.outputs):
        panels[f"out-{i}"] = {"title": "output " + t.path, "type": "output", "kind": "output", "inputs": _tensors((t,)), "outputs": [],
                              "params": [], "total_params": "0", "source": "", "loop": 1, "error": "", "gates": [], "cells": []}  # fmt: skip
    cells = []
    for cell in trace.cells:
        stacked = len(by_call[cell.call]) > 1
        name = f"{stem}.{gatesdot.file_suffix(cell, stacked)}.gates"
        cells.append(
            {
                "id": cell.id,
                "title": gatesdot.cell_title(cell),
                "element": places.get(cell.call, cell.call),
                "svg": _inline_svg(svgs[name], cell.id) if name in svgs else Markup(""),
                "gates": _gate_rows(cell),
                "notes": list(cell.notes),
                "verified": bool(cell.check and cell.check.verified),
                "kind": cell.kind,
            }
        )
    warnings = list(notes)
    warnings += [f"{c['title']}: {' '.join(c['notes'])}" for c in cells if c["kind"] != "custom" and not c["verified"]]
    failure = None
    if trace.failure is not None:
        where = trace.call(trace.failure.call) if trace.failure.call else None
        failure = {
            "type": trace.failure.exc_type,
            "message": trace.failure.message,
            "where": f"{where.type} '{where.name}'" if where else "the forward pass",
            "element": places.get(where.id, where.id) if where else "",
            "inputs": ", ".join(f"{t.path} {shape_text(t.shape)}" for t in where.inputs) if where else "",
        }
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
        "svg": _inline_svg(svgs.get(stem, "")),
        "layers": layers,
        "cells": cells,
        "warnings": warnings,
        "failure": failure,
        "loops": [{"id": lp.id, "count": lp.count, "state": ", ".join(shape_text(s) for s in lp.state)} for lp in graph.loops],
        "json_name": f"{stem}.json",
        "json_href": "data:application/json;base64," + base64.b64encode(record_json.encode("utf-8")).decode("ascii"),
        "panels": panels,
    }


def _script_json(value: Any) -> Markup:
    """JSON safe inside a <script type="application/json"> element (no `</script>` can close it)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def render_report(trace: Trace, graph: Graph, stem: str, svgs: dict[str, str], notes: list[str] | None = None) -> str:
    """The report's HTML text.

    Args:
        trace: the record (with cells).
        graph: the main view graph.
        stem: file stem; drill-in SVGs are looked up in `svgs` as `<stem>.<path>.gates`.
        svgs: rendered SVG text by file stem (main diagram under `stem`).
        notes: warnings to show (auto-collapse).
    """
    env = _env()
    vm = view_model(trace, graph, stem, svgs, notes or [])
    script = (templates_dir() / "report.js").read_text(encoding="utf-8")
    style = (templates_dir() / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    panels = vm.pop("panels")
    return env.get_template("report.html.j2").render(
        vm=vm, csp=csp, script=Markup(script), style=Markup(style), data=_script_json(panels)
    )
