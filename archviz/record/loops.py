"""Loops over time and repeated layers, as plain data: what `analysis.loops` finds in a record.

They live in the record package, beside the cells, because every stage above the analysis reads
them (the view folds steps, the report lists folded calls) and none of those may import the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Loop:
    """One detected loop.

    Args:
        id: `loop-0`, numbered in execution order.
        parent: id of the call whose body loops (None for top level).
        steps: per step, the ids of its significant direct children, in order.
        state: shapes of tensors that flow from one step into the next (the recurrent state).
    """

    id: str
    parent: str | None
    steps: tuple[tuple[str, ...], ...]
    state: tuple[tuple[int, ...], ...]
    repeat: bool = False  # sibling layers of one structure (`layers.0–11`), not one step over time

    @property
    def count(self) -> int:
        """Number of steps (T), or of layers for a repeat."""
        return len(self.steps)


@dataclass(frozen=True)
class Rolling:
    """The loops of a trace and how each call folds onto the first step."""

    loops: tuple[Loop, ...]
    rep: dict[str, str]  # call id -> id of the aligned call in the loop's first step
    step: dict[str, tuple[str, int]]  # call id -> (loop id, step index) of the outermost loop it is in
    varies: frozenset[str]  # representatives whose shapes differ between steps
    within: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)  # every loop a call is in

    @property
    def time_loops(self) -> tuple[Loop, ...]:
        """The loops over time (repeats of layers left out)."""
        return tuple(lp for lp in self.loops if not lp.repeat)

    def time_step(self, call_id: str) -> tuple[str, int] | None:
        """(loop id, step index) of the innermost loop over time that `call_id` runs in, if any."""
        timed = [place for place in self.within.get(call_id, ()) if place[0].startswith("loop-")]
        return timed[-1] if timed else None


NO_LOOPS = Rolling((), {}, {}, frozenset())  # an unrolled view: every call drawn as itself
