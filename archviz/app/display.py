"""Records and view graphs in Jupyter: the renderers that `archviz.api` registers with `record.display`."""

from __future__ import annotations

import html
from typing import Any

from ..draw import dot, graphviz
from ..record import Trace, display, shape_text
from ..view import Graph, View, build


def svg(obj: Any, **view: Any) -> str:
    """The main diagram of a record (or a view graph) as SVG text; `view` as `view.View`'s fields."""
    graph = obj if isinstance(obj, Graph) else build(obj, View(**view))
    return graphviz.render(dot.to_dot(graph), "svg").decode("utf-8")


def html_fragment(obj: Any) -> str:
    """An HTML fragment: a one-line summary of a record, then its diagram."""
    if not isinstance(obj, Trace):
        return svg(obj)[svg(obj).find("<svg") :]
    outs = ", ".join(shape_text(t.shape) for t in obj.outputs) or "none"
    name, cls = html.escape(obj.model_name), html.escape(obj.model_class)
    head = f"<p><b>{name}</b>: {cls}, {len(obj.calls)} calls, outputs {outs}</p>"
    drawn = svg(obj)
    return head + drawn[drawn.find("<svg") :]


def register() -> None:
    """Make records and view graphs show their diagrams in Jupyter."""
    display.register("image/svg+xml", svg)
    display.register("text/html", html_fragment)
