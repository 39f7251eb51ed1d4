"""The files a model file's diagram depends on: the file and the sibling modules it imports."""

from __future__ import annotations

import ast
import os
from pathlib import Path


def local_sources(path: str) -> list[str]:
    """`path` first, then the sibling .py files it imports, directly or not (the loader puts its folder on sys.path)."""
    folder = os.path.dirname(path)
    seen = {path}
    queue = [path]
    while queue:
        for name in _imported_names(queue.pop()):
            sibling = os.path.join(folder, name + ".py")
            if sibling not in seen and os.path.isfile(sibling):
                seen.add(sibling)
                queue.append(sibling)
    return [path, *sorted(seen - {path})]


def _imported_names(path: str) -> set[str]:
    """Top-level module names of the absolute imports in a Python file (none when it does not parse)."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names
