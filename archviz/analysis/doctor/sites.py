"""Where the user's code built a module, read off the model's files: `self.head = nn.Linear(…)`, or the
element of an `nn.Sequential(…)` / `nn.ModuleList([…])` literal at the module's index.

A torch layer called by a container (`nn.Sequential` calls its layers) has no line of the user's in the
record; a finding about it points at the expression that built it. The expression is found only when
it is unambiguous: a call of the module's own class, at the place its path names, in a container whose
other elements are calls of the classes the record shows at those indexes. Otherwise: None.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ...record import Call, Source
from .context import Context

_CONTAINERS = frozenset({"Sequential", "ModuleList"})


@dataclass(frozen=True)
class Built:
    """The expression that built a module: where it is, and the call itself (for its arguments)."""

    source: Source
    node: ast.Call


def built(ctx: Context, c: Call) -> Built | None:
    """The expression of the model's files that built module call `c`'s module, when it is unambiguous."""
    parts = c.name.split(".") if c.name else []
    tail = 0
    while tail < len(parts) and parts[len(parts) - 1 - tail].isdigit():
        tail += 1
    if not parts or tail > 1:
        return None  # the root, or a container inside a container (`layers.0.2`): not read
    if tail == 0:
        found = _assigned(ctx, c, parts[-1])
    else:
        found = _in_container(ctx, c, parts[-2] if len(parts) > 1 else None, int(parts[-1]))
    return found[0] if len(found) == 1 else None


def _assigned(ctx: Context, c: Call, attr: str) -> list[Built]:
    """`self.<attr> = <Class>(…)` with the module's class."""
    return [
        Built(_source(name, text, node), node)
        for name, text, target, node in _assignments(ctx)
        if target == attr and _class(node) == c.type
    ]


def _in_container(ctx: Context, c: Call, attr: str | None, index: int) -> list[Built]:
    """Element `index` of a container literal assigned to `self.<attr>` (any container for the root's
    own children), when the record's layers at the container's indexes match its elements."""
    siblings = _siblings(ctx, c)
    found = []
    for name, text, node in _containers(ctx, attr):
        elements = _elements(node)
        if index >= len(elements) or not isinstance(elements[index], ast.Call):
            continue
        if all(i < len(elements) and _class(elements[i]) in (t, None) for i, t in siblings.items()):
            element = elements[index]
            assert isinstance(element, ast.Call)
            found.append(Built(_source(name, text, element), element))
    return found


def _siblings(ctx: Context, c: Call) -> dict[int, str]:
    """Index -> class of the layers the record shows beside `c` in its container (`c` included)."""
    prefix = c.name.rpartition(".")[0]
    out: dict[int, str] = {}
    for other in ctx.trace.calls:
        head, _, last = other.name.rpartition(".")
        if other.kind == c.kind and head == prefix and last.isdigit():
            out.setdefault(int(last), other.type)
    return out


def _containers(ctx: Context, attr: str | None) -> Iterator[tuple[str, str, ast.Call]]:
    """Container literals of the files: those assigned to `self.<attr>`, or, for no attr, every one."""
    if attr is not None:
        for name, text, target, node in _assignments(ctx):
            if target == attr and _class(node) in _CONTAINERS:
                yield name, text, node
        return
    for name, text in ctx.facts.sources.items():
        for node in _calls(text):
            if _class(node) in _CONTAINERS:
                yield name, text, node


def _assignments(ctx: Context) -> Iterator[tuple[str, str, str, ast.Call]]:
    """(file, text, attribute, value) of every `self.<attribute> = <call>(…)` of the model's files."""
    for name, text in ctx.facts.sources.items():
        for target, node in _assigned_calls(text):
            yield name, text, target, node


def _elements(node: ast.Call) -> list[ast.expr]:
    """The modules a container literal lists: `Sequential(a, b)` or `ModuleList([a, b])`."""
    if _class(node) == "ModuleList":
        first = node.args[0] if node.args else None
        return list(first.elts) if isinstance(first, (ast.List, ast.Tuple)) else []
    return list(node.args)


def _class(node: ast.expr) -> str | None:
    """The class (or function) a call names: `Softmax` for `nn.Softmax(dim=1)`; None for anything else."""
    if not isinstance(node, ast.Call):
        return None
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _source(name: str, text: str, node: ast.expr) -> Source:
    lines = text.splitlines()
    code = lines[node.lineno - 1].strip()[:160] if 0 < node.lineno <= len(lines) else ""
    return Source(name, node.lineno, "", code)


@lru_cache(maxsize=64)
def _tree(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


@lru_cache(maxsize=64)
def _calls(text: str) -> tuple[ast.Call, ...]:
    tree = _tree(text)
    return tuple(n for n in ast.walk(tree) if isinstance(n, ast.Call)) if tree is not None else ()


@lru_cache(maxsize=64)
def _assigned_calls(text: str) -> tuple[tuple[str, ast.Call], ...]:
    """(attribute, value) of every `self.<attribute> = <call>` (annotated or not) of one file."""
    tree = _tree(text)
    out = []
    for n in ast.walk(tree) if tree is not None else ():
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AnnAssign) else []
        value = n.value if isinstance(n, (ast.Assign, ast.AnnAssign)) else None
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(value, ast.Call):
                out.append((t.attr, value))
    return tuple(out)


def argument(node: ast.Call, name: str, position: int) -> ast.expr | None:
    """An argument of a built module: keyword `name`, else the `position`-th positional one; None if absent."""
    given = next((k.value for k in node.keywords if k.arg == name), None)
    if given is None and position < len(node.args):
        given = node.args[position]
    return given


def literal_int(expr: ast.expr) -> int | None:
    """The integer an argument spells (`1`, `-1`), None for anything else (a name, an expression)."""
    try:
        value = ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
