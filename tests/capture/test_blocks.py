"""A function's own lines, parsed alone (`blocks.parsed`), give at every instruction's span the same
nodes and statement a parse of its whole file gives: on real files (archviz's own, torch's layers, the
doctor's fixtures), decorated methods, multi-line signatures and calls, nested functions included."""

from __future__ import annotations

import ast
import linecache
import textwrap
from types import CodeType

from test_references_scan import FILES

from archviz.capture import blocks


def _codes(code: CodeType) -> list[CodeType]:
    found = [code]
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found += _codes(const)
    return found


def _shape(parsed: blocks.File, span: tuple[int | None, ...]) -> list[tuple[object, ...]]:
    """The nodes at `span`, and the statement the innermost of them is in: kind, place and fields."""
    nodes = parsed.spans.get(span, [])
    stmt = nodes[-1] if nodes else None
    while stmt is not None and not isinstance(stmt, ast.stmt):
        stmt = parsed.parents.get(stmt)
    shown = [*nodes, stmt] if stmt is not None else nodes
    return [(type(n).__name__, n.lineno, n.col_offset, n.end_lineno, n.end_col_offset, *n._fields) for n in shown]


def _whole(path: str) -> blocks.File:
    lines = linecache.getlines(path)
    found = blocks.File(lines, {}, {})
    for node in ast.walk(ast.parse("".join(lines))):
        for child in ast.iter_child_nodes(node):
            found.parents[child] = node
        if isinstance(node, (ast.expr, ast.stmt)):
            span = (node.lineno, node.end_lineno, node.col_offset, node.end_col_offset)
            found.spans.setdefault(span, []).append(node)
    return found


def test_a_functions_block_has_the_nodes_its_file_has() -> None:
    checked = own = 0
    differ: list[str] = []
    for path in FILES[::3]:  # a third of the 400+ files: about 2 s
        whole = _whole(path)
        text = "".join(linecache.getlines(path))
        for code in _codes(compile(text, path, "exec", dont_inherit=True)):
            parsed = blocks.parsed(code)
            if parsed is None:
                differ.append(f"{path}:{code.co_firstlineno} {code.co_qualname}: nothing parsed")
                continue
            own += len(parsed.spans) < len(whole.spans)
            for span in set(code.co_positions()):
                if None in span or span[0] == 0:
                    continue
                checked += 1
                if _shape(parsed, span) != _shape(whole, span):
                    differ.append(f"{path}:{span[0]} {code.co_qualname}")
    assert differ == []
    assert checked > 20_000 and own > 1_000  # most functions were parsed alone, not as their whole file


def test_a_method_with_a_closing_line_past_its_last_instruction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The last statement's `)` on a line of its own, a decorator, a signature over three lines."""
    src = tmp_path / "model.py"
    src.write_text(
        textwrap.dedent(
            """\
            import functools


            class Net:
                @functools.lru_cache
                def forward(
                    self, x
                ):
                    y = self.fc(x)
                    return self.out(
                        y
                    )
            """
        ),
        encoding="utf-8",
    )
    namespace: dict[str, object] = {}
    exec(compile(src.read_text(encoding="utf-8"), str(src), "exec"), namespace)
    code = namespace["Net"].forward.__wrapped__.__code__  # type: ignore[attr-defined]
    parsed = blocks.parsed(code)
    assert parsed is not None
    calls = sorted((n.lineno, ast.unparse(n)) for ns in parsed.spans.values() for n in ns if isinstance(n, ast.Call))
    assert calls == [(9, "self.fc(x)"), (10, "self.out(y)")]
    assert not any(isinstance(n, ast.ClassDef) for ns in parsed.spans.values() for n in ns)  # the method alone
