"""Analysis: pure functions from a Trace to annotations — loops over time, built-in and custom cells.

Imports only the record; no torch, no rendering.
"""

from .cells import annotate
from .loops import Loop, Rolling, find_loops, rolling_for

__all__ = ["Loop", "Rolling", "annotate", "find_loops", "rolling_for"]
