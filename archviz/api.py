"""The Python API: trace a live model, render or report a model file or a live model (notebooks, scripts)."""

from __future__ import annotations

import os
from typing import Any

from . import app
from .app import display
from .errors import TraceError
from .kinds import Format, Layout, Theme
from .record import Trace

display.register()  # records and view graphs show their diagrams in Jupyter


def trace(model: Any, *args: Any, grad: bool = False, strict: bool = False, **kwargs: Any) -> Trace:
    """Trace `model(*args, **kwargs)` once and return the record, gate wiring and the doctor's findings
    included (the record `archviz.render` would draw).

    The model is left as it was (no hooks, same training flags). In Jupyter the returned record
    displays as a one-line summary above its diagram; when the forward pass raised, the record holds
    what ran and the line says where it failed (`failed at Linear 'fc' (model.py:12): RuntimeError: …`).

    Args:
        grad: trace with autograd on (default off, as under `torch.no_grad()`).
        strict: raise `TraceError` (an `ArchvizError`) saying where the forward pass failed, caused by
            the model's own exception, instead of returning the partial record.

    `grad` and `strict` are archviz's own keywords, not passed to the model.
    """
    options = app.Options(formats=(), load=app.LoadOptions(grad=grad))
    result = app.run(app.Source.live(model, args, kwargs), options)
    if strict and result.trace.failure is not None:
        raise TraceError(app.failure_message(result.trace, [])) from result.exception
    return result.trace


def _source(target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> app.Source:
    if isinstance(target, Trace):
        return app.Source.of(target)
    if isinstance(target, (str, os.PathLike)):
        return app.Source.file(target)
    return app.Source.live(target, args, kwargs)


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
    doctor: bool = False,
    focus: str | None = None,
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
        doctor: as `--doctor`: also trace the model with grown inputs, so the report says where every
            size comes from.
        focus: as `--focus`: a module path (`encoder.layers.3`) whose inside alone is drawn and reported.
    """
    options = app.Options(
        formats=app.parse_formats(formats),
        depth=depth,
        unroll=unroll,
        gates=gates,
        direction=Layout(direction.upper()),
        theme=Theme(theme),
        doctor=doctor,
        name=name,
        focus=focus,
        load=app.LoadOptions(model=model, inputs=tuple(inputs), grad=grad),
    )
    sink = app.FolderSink(str(out))
    app.run(_source(target, args, kwargs), options, sink)
    return sink.paths


def report(target: Any, *args: Any, out: str | os.PathLike[str] = "archviz-out", **options: Any) -> str:
    """Write the HTML report (and its SVG) of `target` and return the report's path; see `render`."""
    paths = render(target, *args, out=out, formats=(Format.SVG, Format.HTML), **options)
    return next(p for p in paths if p.endswith(".html"))


def svg(record: Trace, **view: Any) -> str:
    """The main diagram of a record as SVG text (what Jupyter shows)."""
    return display.svg(record, **view)


__all__ = ["render", "report", "svg", "trace"]
