"""How the record's values are written as text everywhere archviz shows them."""

from __future__ import annotations

import re


def shape_text(shape: tuple[int, ...]) -> str:
    """Format a shape the way archviz shows it everywhere: `[3, 5, 10]`."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


_HEAD = re.compile(r"^(?:args\[(\d+)\]|kwargs\['([^']*)'\])")


def named_path(path: str, arg_names: tuple[str, ...]) -> str:
    """`batch.mask` for `args[0].mask` of `forward(self, batch)`, `input_ids` for `kwargs['input_ids']`."""
    m = _HEAD.match(path)
    if m is None:
        return path
    if m[2] is not None:
        return m[2] + path[m.end() :]
    index = int(m[1])
    return arg_names[index] + path[m.end() :] if index < len(arg_names) else path
