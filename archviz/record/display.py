"""How records show themselves in Jupyter: a renderer registered from above, never imported from here.

The record and the view graph are plain data and import no renderer. `archviz.api` registers one
function per MIME type when it is imported; until then a record displays as text only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_RENDERERS: dict[str, Callable[[Any], str]] = {}


def register(mime: str, renderer: Callable[[Any], str]) -> None:
    """Use `renderer(obj)` to show records and view graphs as `mime` (`image/svg+xml`, `text/html`)."""
    _RENDERERS[mime] = renderer


def show(obj: Any, mime: str) -> str | None:
    """`obj` rendered as `mime`, or None when no renderer is registered (Jupyter then falls back)."""
    renderer = _RENDERERS.get(mime)
    return renderer(obj) if renderer is not None else None
