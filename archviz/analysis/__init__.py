"""Analysis: pure functions from a Trace to annotations — loops over time, built-in and custom cells,
dimension provenance and axis names.

Imports only the record; no torch, no rendering.
"""

from .axes import Axes, Claim, Evidence, describe, dim_names, name_axes
from .cells import annotate
from .loops import Loop, Rolling, find_loops, rolling_for
from .provenance import Experiment, Origin, Provenance, Trial, match_calls, provenance

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
