"""Escaping at the edge: every string enters DOT through one of these helpers.

Each first passes the text through `record.text.shown` (the one sanitiser: control characters and
lone surrogates made visible, ANSI sequences removed, lines and the whole cut to what a diagram can
hold) and then escapes it for its place. Graphviz expands `\\N`, `\\G`, `\\E`, `\\T`, `\\H`, `\\L`, `\\n`,
`\\l`, `\\r` in labels (HTML-like ones included) and a second time in node tooltips, and decodes HTML
entities in both; so a backslash is doubled (twice for a tooltip) and `&` written as `&amp;`, and the
SVG shows the text as the model spelled it. Graphviz also rejects any token longer than 16 KB, which
the cut keeps every string well below.
"""

from __future__ import annotations

import html

from ..record.text import LINE_CHARS, MESSAGE_CHARS, shown


def esc(text: str, fold: bool = False) -> str:
    """Escape text for a Graphviz HTML-like label; newlines become line breaks.

    Lines longer than `LINE_CHARS` are cut, or with `fold` continued on the next line (titles, whose
    full text is the point).
    """
    body = html.escape(shown(text, fold=fold), quote=True).replace("\\", "\\\\")
    return body.replace("\n", '<BR ALIGN="LEFT"/>')


def _dot_string(text: str, backslash: str) -> str:
    body = text.replace("&", "&amp;").replace("\\", backslash).replace('"', '\\"').replace("\n", "\\n")
    return '"' + body + '"'


def quote(text: str) -> str:
    """Quote a DOT id or attribute string (an id, an href, an edge label, an xlabel)."""
    return _dot_string(shown(text), "\\\\")


def tooltip(text: str) -> str:
    """Quote a node's tooltip: up to `MESSAGE_CHARS` of the text, lines uncut."""
    return _dot_string(shown(text, line=MESSAGE_CHARS), "\\\\\\\\")


__all__ = ["LINE_CHARS", "MESSAGE_CHARS", "esc", "quote", "tooltip"]
