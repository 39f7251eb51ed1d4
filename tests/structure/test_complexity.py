"""Functions stay small: no function or method of archviz above radon's rank C (cyclomatic complexity 20).

STYLE.md rule 15: split along the real seams (parse, decide, emit) before adding the next rule.
"""

from __future__ import annotations

import pytest
from conftest import ROOT

radon = pytest.importorskip("radon.complexity")

PACKAGE = ROOT / "archviz"
LIMIT = 20  # rank C ends here; D starts at 21


def _blocks() -> list[tuple[str, str, int]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for block in radon.cc_visit(path.read_text(encoding="utf-8")):
            items = [block, *getattr(block, "closures", []), *getattr(block, "methods", [])]
            for b in items:
                if not hasattr(b, "is_method"):
                    continue  # a class: its methods are counted one by one
                name = f"{b.classname}.{b.name}" if getattr(b, "classname", None) else b.name
                found.append((f"{path.relative_to(ROOT)}:{b.lineno} {name}", b.letter, b.complexity))
    return found


def test_no_function_above_rank_c() -> None:
    over = {where: complexity for where, _, complexity in _blocks() if complexity > LIMIT}
    assert over == {}


def test_the_walker_sees_methods_and_nested_functions() -> None:
    """The check would see a complex method: the walk covers classes' methods, not only top-level functions."""
    code = "class A:\n    def f(self, x):\n" + "".join(
        f"        if x == {i}:\n            return {i}\n" for i in range(25)
    )
    (cls,) = [b for b in radon.cc_visit(code) if b.name == "A"]
    assert max(m.complexity for m in cls.methods) > LIMIT
