"""Records and view graphs in Jupyter: the renderers that `archviz.api` registers with `record.display`.

A record displays as `{"text/html": summary line + diagram, "text/plain": summary line}` and a view graph
as `{"image/svg+xml": diagram, "text/plain": summary line}` (their `_repr_mimebundle_`): the diagram
once, and a line that says where the forward pass failed rather than "outputs none".
"""

from __future__ import annotations

import html
from typing import Any

from ..draw import dot, graphviz
from ..kinds import Format
from ..record import Trace, display
from ..record.text import printable
from ..view import Graph
from .options import Options
from .pipeline import MemorySink
from .run import Source, run


def svg(obj: Any, **view: Any) -> str:
    """The main diagram of a record as SVG text, made by `app.run` as `archviz render` makes it (a view
    graph is laid out as it is); `view` as `Options`' fields (`depth=1`, `theme="dark"`)."""
    if isinstance(obj, Graph):
        return graphviz.render(dot.to_dot(obj), "svg").decode("utf-8")
    sink = MemorySink()
    result = run(Source.of(obj), Options(formats=(Format.SVG,), **view), sink)
    return sink.files[f"{result.stem}.svg"].decode("utf-8")


def html_fragment(obj: Any) -> str:
    """An HTML fragment: a record's one-line summary (outputs, or where it failed), then its diagram."""
    drawn = svg(obj)
    drawn = drawn[drawn.find("<svg") :]  # no XML prolog or DOCTYPE inside HTML
    if not isinstance(obj, Trace):
        return drawn
    line = obj.summary()
    name, rest = (obj.model_name, line[len(obj.model_name) :]) if line.startswith(obj.model_name) else ("", line)
    return f"<p><b>{html.escape(printable(name))}</b>{html.escape(printable(rest))}</p>" + drawn


def register() -> None:
    """Make records and view graphs show their diagrams in Jupyter."""
    display.register("image/svg+xml", svg)
    display.register("text/html", html_fragment)
