"""Analysis: pure functions from a Trace to annotations — loops over time, built-in and custom cells,
dimension provenance and axis names.

Imports only the record; no torch, no rendering. Its modules are imported when first used (`render`
needs the loops and cells on every run, the provenance and axis naming only for the doctor's
experiments), so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .axes import Axes, Claim, Evidence, describe, dim_names, name_axes
    from .cells import annotate
    from .loops import Loop, Rolling, find_loops, rolling_for
    from .provenance import Experiment, Origin, Provenance, Trial, match_calls, provenance

_WHERE = {
    "Axes": "axes",
    "Claim": "axes",
    "Evidence": "axes",
    "describe": "axes",
    "dim_names": "axes",
    "name_axes": "axes",
    "annotate": "cells",
    "Loop": "loops",
    "Rolling": "loops",
    "find_loops": "loops",
    "rolling_for": "loops",
    "Experiment": "provenance",
    "Origin": "provenance",
    "Provenance": "provenance",
    "Trial": "provenance",
    "match_calls": "provenance",
    "provenance": "provenance",
}


def __getattr__(name: str) -> Any:
    """The package's names, each imported from its module on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "Axes",
    "Claim",
    "Evidence",
    "Experiment",
    "Loop",
    "Origin",
    "Provenance",
    "Rolling",
    "Trial",
    "annotate",
    "describe",
    "dim_names",
    "find_loops",
    "match_calls",
    "name_axes",
    "provenance",
    "rolling_for",
]
