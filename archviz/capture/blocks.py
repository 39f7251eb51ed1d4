"""The nodes of a function's source by their span, for the instruction a frame runs (`aliases.spot`).

Only the function's own lines are parsed, with the file's line numbers and columns: a whole library
file's nodes are many (Hugging Face's BERT asked about nine spots and held the nodes of three whole
files, 5 MB of the trace's peak).
"""

from __future__ import annotations

import ast
import linecache
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType


@dataclass
class File:
    """The parsed nodes of one function (or file), by their source span, and each node's parent."""

    lines: list[str]  # linecache's list: a new list means new source
    spans: dict[tuple[int | None, ...], list[ast.AST]]  # every node by its span, outermost first
    parents: dict[ast.AST, ast.AST]


_FILES: dict[tuple[str, int], File] = {}  # by (file, first line of the function's block; 0: the whole file)


def parsed(code: CodeType) -> File | None:
    """The nodes by span of the function `code` runs, parsed once per version of its source in linecache:
    only that function's lines; the whole file for module code, a lambda or a comprehension (they start
    inside a statement) and a block that does not parse alone."""
    filename = code.co_filename
    lines = linecache.getlines(filename)
    first = code.co_firstlineno if not code.co_name.startswith("<") else 0
    known = _FILES.get((filename, first))
    if known is not None and known.lines is lines:
        return known if known.spans else None
    found = File(lines, {}, {})
    tree = (_block(code, lines) if first else None) or _tree("".join(lines), 0)
    for node in ast.walk(tree) if tree is not None and lines else ():
        for child in ast.iter_child_nodes(node):
            found.parents[child] = node
        if isinstance(node, (ast.expr, ast.stmt)):
            span = (node.lineno, node.end_lineno, node.col_offset, node.end_col_offset)
            found.spans.setdefault(span, []).append(node)
    _FILES[(filename, first)] = found
    return found if found.spans else None


_MORE_LINES = 20  # lines past a function's last instruction its last statement may still need (`)`)


def _block(code: CodeType, lines: list[str]) -> ast.AST | None:
    """The function `code` runs, parsed from its own lines with the file's line numbers and columns."""
    start = code.co_firstlineno - 1  # its first decorator
    last = max((end for end in _end_lines(code) if end is not None), default=start + 1)
    if not 0 <= start < len(lines) or last > len(lines):
        return None
    head = "if 1:\n" if lines[start][:1] in (" ", "\t") else ""  # a method: its indentation, kept, is a block
    for end in range(last, min(len(lines), last + _MORE_LINES) + 1):
        tree = _tree(head + "".join(lines[start:end]), start - (1 if head else 0))
        if tree is not None:
            return tree
    return None


def _end_lines(code: CodeType) -> Iterator[int | None]:
    """The last line of each instruction of `code` and of the functions defined in it."""
    for _, end, _, _ in code.co_positions():
        yield end
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _end_lines(const)


def _tree(text: str, offset: int) -> ast.AST | None:
    """`text` parsed, its line numbers moved down by `offset`; None if it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    return ast.increment_lineno(tree, offset) if offset else tree
