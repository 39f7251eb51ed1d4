"""Escaping at the edge: every user string enters DOT through one of these two helpers."""

from __future__ import annotations

import html


def esc(text: str) -> str:
    """Escape text for a Graphviz HTML-like label; newlines become line breaks."""
    return html.escape(text, quote=True).replace("\n", '<BR ALIGN="LEFT"/>')


def quote(text: str) -> str:
    """Quote a DOT id or attribute string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
