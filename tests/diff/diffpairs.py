"""The model pairs of tests/diff/pairs/, traced once per test session, and their live models."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

PAIRS = Path(__file__).resolve().parent / "pairs"


@functools.cache
def side(name: str) -> Any:
    """`diffing.Side` of pairs/<name>.py, traced as `archviz diff` traces it."""
    from archviz.app import diffing
    from archviz.app.options import LoadOptions

    return diffing.load_side(str(PAIRS / f"{name}.py"), LoadOptions())


@functools.cache
def diff_of(old: str, new: str) -> Any:
    from archviz.app import diffing

    return diffing.compare(side(old), side(new))


def build(name: str) -> Any:
    """The live model of pairs/<name>.py, built through archviz's loader (same seed as a trace)."""
    from archviz.load import loader, userfile

    path = str(PAIRS / f"{name}.py")
    with userfile.user_path(path):
        found = loader.load(path)
    assert isinstance(found, loader.Loaded)
    return found.model
