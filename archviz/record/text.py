"""How the record's values are written as text everywhere archviz shows them."""

from __future__ import annotations


def shape_text(shape: tuple[int, ...]) -> str:
    """Format a shape the way archviz shows it everywhere: `[3, 5, 10]`."""
    return "[" + ", ".join(str(d) for d in shape) + "]"
