"""The Python API: trace a live model, render or report a model file or a live model (notebooks, scripts)."""

from __future__ import annotations

import os
import time
from typing import Any

from . import app
from .app import display
from .errors import TraceError
from .kinds import Format, Layout, Theme
from .record import Trace

display.register()  # records and view graphs show their diagrams in Jupyter


def trace(model: Any, *args: Any, grad: bool = False, strict: bool = False, **kwargs: Any) -> Trace:
    """Trace `model(*args, **kwargs)` once and return the record, gate wiring included.

    The model is left as it was (no hooks, same training flags). In Jupyter the returned record
    displays as a one-line summary above its diagram; when the forward pass raised, the record holds
    what ran and the line says where it failed (`failed at Linear 'fc' (model.py:12): RuntimeError: …`).

    Args:
        grad: trace with autograd on (default off, as under `torch.no_grad()`).
        strict: raise `TraceError` (an `ArchvizError`) saying where the forward pass failed, caused by
            the model's own exception, instead of returning the partial record.

    `grad` and `strict` are archviz's own keywords, not passed to the model.
    """
    record = app.with_gates(app.trace_live(model, args, kwargs, grad=grad), app.Options())
    if strict and record.failure is not None:
        raise TraceError(app.failure_message(record, [])) from app.last_exception()
    return record


def _target(
    target: Any, args: tuple[Any, ...], kwargs: dict[str, Any], load: dict[str, Any], grad: bool, options: app.Options
) -> tuple[Trace, str]:
    if isinstance(target, Trace):
        return target, app.safe_stem(target.model_name)
    if isinstance(target, (str, os.PathLike)):
        found = app.trace_file(str(target), grad=grad, **load)
        return _examined(found, options), found.stem
    started = time.perf_counter()
    record = trace(target, *args, grad=grad, **kwargs)
    seconds = time.perf_counter() - started  # what the doctor's runs are budgeted by
    live = app.Target(record, "", app.Live(target, args, kwargs, {}, seconds))
    return _examined(live, options), app.safe_stem(type(target).__name__)


def _examined(target: app.Target, options: app.Options) -> Trace:
    """The record with its gates and the doctor's findings, as `archviz render` draws it."""
    from .app import doctor as doctoring

    target.trace = app.with_gates(target.trace, options)
    return doctoring.for_render(target, None, target.path or "model.py").trace


def render(
    target: Any,
    *args: Any,
    out: str | os.PathLike[str] = "archviz-out",
    formats: tuple[str, ...] | str = ("svg",),
    name: str | None = None,
    model: str | None = None,
    inputs: tuple[str, ...] = (),
    depth: int | None = None,
    unroll: bool = False,
    gates: str = "auto",
    direction: str = "TB",
    theme: str = "light",
    grad: bool = False,
    **kwargs: Any,
) -> list[str]:
    """Write the same files as `archviz render` and return their paths.

    Args:
        target: a model file path, a live `nn.Module` (called with `*args, **kwargs`) or a Trace.
        out: output folder.
        formats: any of svg, png, pdf, dot, json, html (a tuple or a comma string).
        name: file stem (default: the file's stem or the model's class name).
        model, inputs: as `--model` and `--input` when `target` is a file.
        depth, unroll, gates, direction, theme: the view, as on the command line.
        grad: trace with autograd on, as `--grad` (default off, as under `torch.no_grad()`).
    """
    chosen = app.parse_formats(formats if isinstance(formats, str) else ",".join(formats))
    options = app.Options(
        formats=chosen, depth=depth, unroll=unroll, gates=gates, direction=Layout(direction.upper()), theme=Theme(theme)
    )
    record, stem = _target(target, args, kwargs, {"model": model, "inputs": tuple(inputs)}, grad, options)
    return app.write(record, name or stem, str(out), options).paths


def report(target: Any, *args: Any, out: str | os.PathLike[str] = "archviz-out", **options: Any) -> str:
    """Write the HTML report (and its SVG) of `target` and return the report's path; see `render`."""
    paths = render(target, *args, out=out, formats=(Format.SVG, Format.HTML), **options)
    return next(p for p in paths if p.endswith(".html"))


def svg(record: Trace, **view: Any) -> str:
    """The main diagram of a record as SVG text (what Jupyter shows)."""
    return display.svg(record, **view)


__all__ = ["render", "report", "svg", "trace"]
