"""Trace + view graph -> the report's view model: plain strings, numbers, lists and dicts for the template."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from ...kinds import Activation, CallKind, MetaKey, Severity, Switch
from ...record import Rolling, Stats, Trace, named_path, shape_text
from ...version import __version__
from ...view import names
from ...view.focus import focused
from ...view.graph import Graph
from ...view.labels import failure_facts
from .. import gates
from ..inner import Inner, openable
from .embed import packed_record, script_json, size_text
from .frames import folds, frame_panels
from .panels import by_call, folded, gate_rows, panels, tree

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


def _tensors(trace: Trace, which: str) -> list[dict[str, str]]:
    names_ = trace.calls[0].arg_names if trace.calls and which == "inputs" else ()
    metas = trace.inputs if which == "inputs" else trace.outputs
    return [{"path": named_path(t.path, names_), "shape": shape_text(t.shape), "dtype": t.dtype} for t in metas]


def _totals(trainable: int, frozen: int, size: int) -> dict[str, str]:
    return {
        "total": f"{trainable + frozen:,}",
        "trainable": f"{trainable:,}",
        "frozen": f"{frozen:,}",
        "size": size_text(size),
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
            n = 1
            for d in p.shape:
                n *= d
            trainable += n if p.trainable else 0
            frozen += 0 if p.trainable else n
            size += n * _BYTES.get(p.dtype, 4)
    return _totals(trainable, frozen, size)


def histogram(stats: Stats) -> Markup:
    """A 10-bar inline SVG of a gate's values over its range (CSP-safe: no style, no script)."""
    top = max(stats.hist, default=0) or 1
    low, high = ("−1", "1") if stats.kind == Activation.TANH else ("0", "1")
    bars = "".join(
        f'<rect x="{i * 6}" y="{16 - h:.1f}" width="5" height="{h:.1f}"/>'
        for i, n in enumerate(stats.hist)
        for h in [max(16 * n / top, 0.6 if n else 0.0)]
    )
    label = f"{stats.kind} values from {low} to {high} in 10 bins: " + ", ".join(map(str, stats.hist))
    return Markup(
        f'<svg class="hist" viewBox="0 0 60 16" width="60" height="16" role="img" aria-label="{label}">'
        f"<title>{label}</title>{bars}</svg>"
    )


def cell_sections(trace: Trace, graph: Graph, stem: str, svgs: dict[str, str]) -> list[dict[str, Any]]:
    """One report section per recurrent cell: its drill-in SVG and gate table."""
    places = dict(graph.places)
    cells_by_call = by_call(trace)
    cells = []
    for cell in trace.cells:
        name = names.cell_name(stem, cell, len(cells_by_call[cell.call]) > 1)
        cells.append(
            {
                "id": cell.id,
                "title": gates.cell_title(cell),
                "element": places.get(cell.call, cell.call),
                "svg": inline_svg(svgs[name], cell.id) if name in svgs else Markup(""),
                "gates": gate_rows(cell),
                "hists": {s.gate: histogram(s.stats) for s in cell.spreads},
                "notes": list(cell.notes),
                "verified": bool(cell.check and cell.check.verified),
                "custom": cell.custom,
            }
        )
    return cells


def failure_section(trace: Trace, graph: Graph) -> dict[str, str] | None:
    """Where the forward pass failed — the call, its source line, inputs and weights, as the CLI says."""
    facts = failure_facts(trace)
    if facts is None:
        return None
    call = trace.failure.call if trace.failure else None
    places = dict(graph.places)
    return {
        "type": facts.exc_type,
        "message": facts.message,
        "where": facts.what or "the forward pass",
        "host": facts.host,
        "location": facts.location,
        "code": facts.code,
        "inputs": facts.inputs,
        "weights": facts.weights,
        "element": places.get(call, call) if call else "",
    }


def doctor_section(trace: Trace, graph: Graph) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The doctor's findings as the report lists them, and the badge of each box they name."""
    places = dict(graph.places)
    findings: list[dict[str, str]] = []
    badges: dict[str, Any] = {}
    order = {"error": 0, "warning": 1, "note": 2}
    for f in trace.findings:
        elements = [places.get(c, c) for c in f.calls if places.get(c, c)]
        findings.append(
            {
                "severity": str(f.severity),
                "code": f.code,
                "title": f.title,
                "where": f.where,
                "line": f.source.code if f.source else "",
                "seen": f.seen,
                "why": f.why,
                "fix": f.fix,
                "element": elements[0] if elements else "",
            }
        )
        for e in dict.fromkeys(elements):
            badge = badges.setdefault(e, {"severity": str(f.severity), "titles": []})
            if order[str(f.severity)] < order[badge["severity"]]:
                badge["severity"] = str(f.severity)
            badge["titles"].append(f"{f.severity}: {f.title}")
    return findings, badges


def _doctor_summary(trace: Trace) -> tuple[str, str]:
    counts: dict[Severity, int] = {}
    for f in trace.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    text = ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items())
    return text, ("no" if Severity.ERROR in counts else "warn" if Severity.WARNING in counts else "clean")


def _traced(meta: dict[str, str]) -> str:
    """How the forward pass ran: training or eval mode, autograd on or off."""
    mode = "training mode" if meta.get(MetaKey.TRAINING) == str(True) else "eval mode"
    grad = meta.get(MetaKey.AUTOGRAD)
    if grad is None:
        return mode
    how = "autograd on (--grad)" if grad == Switch.ON else "autograd off, as under torch.no_grad() (--grad turns it on)"
    return f"{mode}, {how}"


def inner_views(
    trace: Trace, graph: Graph, insides: list[tuple[Inner, str]], origins: dict[tuple[str, str, int], tuple[str, ...]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The precomputed insides as the page carries them: each one's SVG (ids prefixed by its key, in a
    <template> until opened), and per diagram ('' the main one) which box opens which inside, the
    panels of its boxes and frames, and its folds."""
    key_of = {i.call: i.key for i, _ in insides}

    def opens(t: Trace, g: Graph) -> dict[str, str]:
        return {element: key_of[call] for element, call in openable(t, g) if call in key_of}

    data: dict[str, Any] = {"": {"opens": opens(trace, graph), "folds": folds(trace, graph)}}
    views = []
    for i, svg in insides:
        inside = focused(trace, i.call)
        data[i.key] = {
            "title": trace.call(i.call).name,
            "call": i.call,
            "parent": i.parent,
            "element": i.element,
            "places": {c: e for c, e in i.graph.places if e in (c, "cl-" + c, "open-" + c)},
            "opens": opens(inside, i.graph),
            "folds": folds(inside, i.graph),
            "panels": {**panels(inside, i.graph, origins), **frame_panels(inside, i.graph)},
        }
        views.append({"key": i.key, "svg": inline_svg(svg, i.key)})
    return views, data


def view_model(
    trace: Trace,
    rolling: Rolling,
    graph: Graph,
    stem: str,
    svgs: dict[str, str],
    notes: list[str],
    axes: str = "",
    origins: dict[tuple[str, str, int], tuple[str, ...]] | None = None,
    insides: list[tuple[Inner, str]] | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (strings, numbers, lists, dicts, Markup).
    `axes` says how the doctor named the input axes (`B = 3 (…); T = 5 (…)`)."""
    cells = cell_sections(trace, graph, stem, svgs)
    warnings = list(notes)
    warnings += [f"{c['title']}: {' '.join(c['notes'])}" for c in cells if not c["custom"] and not c["verified"]]
    meta = dict(trace.meta)
    record, record_bytes = packed_record(trace, rolling)
    findings, badges = doctor_section(trace, graph)
    doctor_summary, doctor_class = _doctor_summary(trace)
    views, diagrams = inner_views(trace, graph, insides or [], origins or {})
    return {
        "views": views,
        "diagrams": script_json(diagrams),
        "title": f"{trace.model_name}: {trace.model_class}",
        "model_name": trace.model_name,
        "model_class": trace.model_class,
        "source_file": trace.source_file or "—",
        "params": _param_totals(trace),
        "inputs": _tensors(trace, "inputs"),
        "outputs": _tensors(trace, "outputs"),
        "archviz_version": __version__,
        "torch_version": meta.get("torch", "?"),
        "traced": _traced(meta),
        "svg": inline_svg(svgs.get(stem, "")),
        "tree": tree(trace, graph, rolling),
        "cells": cells,
        "warnings": warnings,
        "failure": failure_section(trace, graph),
        "loops": [
            {"id": lp.id, "count": lp.count, "repeat": lp.repeat, "state": ", ".join(shape_text(s) for s in lp.state)}
            for lp in graph.loops
        ],
        "json_name": f"{stem}.json",
        "record": record,
        "record_size": size_text(record_bytes),
        "calls": f"{len(trace.calls):,}",
        "panels": script_json({**panels(trace, graph, origins or {}), **frame_panels(trace, graph)}),
        "folded": script_json(folded(rolling)),
        "findings": findings,
        "badges": script_json(badges),
        "doctor_summary": doctor_summary,
        "doctor_class": doctor_class,
        "axes": axes,
    }
