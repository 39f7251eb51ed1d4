"""Dimension provenance by experiment: where every size of a trace comes from.

The doctor re-traces the model once per axis group of its inputs (the dims of one size, grown to n+1
and to 2n) and hands the runs here as `Experiment`s. Every call of the base trace is matched to its
counterpart in each run (`match_calls`), and each dim of each tensor gets an `Origin`: how its size
follows the groups — `T`, `T−1`, `2·T`, `B·T` — or a constant, or "moves with T, but not linearly".
The forms, and fitting one to the sizes a dim had in the runs, are in `origin`.

Matching keys a call by its parent's key, its name and type, its source line, and how many siblings
with the same came before it; so step k of a loop matches step k of a longer run, and
the steps only the longer run made are left unmatched.

Cost: one pass over each trace to key its calls, one dict lookup per call and trial, and one cached
inference per dim: O(N·(1 + trials) + D·trials) for N calls and D dims, linear in the trace.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..kinds import INPUT_PRODUCER
from ..record import Call, TensorMeta, Trace
from .origin import Fits, GroupFit, Origin, fit_origin

# Where a size sits: (call id of the base trace, "in" | "out", tensor index, dim). The model's own
# inputs and outputs are ("input", "in", i, dim) and ("output", "out", i, dim).
Key = tuple[str, str, int, int]
IN, OUT = "in", "out"
MODEL_INPUT, MODEL_OUTPUT = INPUT_PRODUCER, "output"

_LOST = -1  # the size seen in a run that failed before making it
_Side = tuple[TensorMeta, ...]  # the inputs or the outputs of a call


@dataclass(frozen=True)
class Trial:
    """One run with an axis group grown to `size`: its trace, or why it could not run."""

    size: int
    trace: Trace | None
    error: str = ""


@dataclass(frozen=True)
class Experiment:
    """The runs of one axis group.

    Args:
        group: its id (`g0`, `g1`, ... in order of first appearance among the inputs).
        size: its size in the base run.
        members: the (model-input path as `TensorMeta.path` gives it, dim) pairs of that size.
        trials: the runs with the group grown (normally to size+1 and 2·size).
    """

    group: str
    size: int
    members: tuple[tuple[str, int], ...]
    trials: tuple[Trial, ...]


@dataclass(frozen=True)
class Provenance:
    """The origins of the sizes of one base trace.

    Args:
        groups: the experiments it was inferred from.
        origins: key -> origin for every dim of every tensor of every call (and of the model's inputs
            and outputs) that was matched in the usable runs of every group; a missing key is unknown.
            An origin says nothing about groups in `untested`.
        failed: (group, trial size, why) for each run that could not be made or whose forward pass
            raised where the base run did not; the calls it did run still count.
        unmatched: group -> how many base calls none of its usable runs made.
    """

    groups: tuple[Experiment, ...]
    origins: Mapping[Key, Origin]
    failed: tuple[tuple[str, int, str], ...] = ()
    unmatched: Mapping[str, int] = field(default_factory=dict)

    @property
    def untested(self) -> tuple[str, ...]:
        """Groups none of whose runs could be made: what depends on them is not known."""
        return tuple(e.group for e in self.groups if not any(t.trace is not None for t in e.trials))

    @property
    def sizes(self) -> dict[str, int]:
        """Group id -> its size in the base run."""
        return {e.group: e.size for e in self.groups}

    def origin(self, call: str, side: str, index: int, dim: int) -> Origin | None:
        """The origin of one size, None when unknown."""
        return self.origins.get((call, side, index, dim))


def call_keys(trace: Trace, table: dict[tuple[object, ...], int]) -> list[int]:
    """The matching key of every call of `trace`, in order, interned in `table` (shared between traces)."""
    own: dict[str, int] = {}
    seen: dict[tuple[object, ...], int] = {}
    keys: list[int] = []
    for c in trace.calls:
        parent = own.get(c.parent, -1) if c.parent is not None else -1
        # the root call's own line is where it was called from: a script's line for its traced call, none
        # when archviz calls the model again; what it is and what runs inside it is what matches
        src = c.source if c.parent is not None else None
        # the kind is left out: the type tells it (a class name or a qualified op name), and a
        # StrEnum hashes in Python, which made keying a third of the whole inference
        sig = (parent, c.name, c.type, src.file if src else "", src.line if src else 0)
        n = seen.get(sig, 0)
        seen[sig] = n + 1
        key = table.setdefault((sig, n), len(table))
        own[c.id] = key
        keys.append(key)
    return keys


def match_calls(base: Trace, other: Trace) -> dict[str, str]:
    """Base call id -> id of the call of `other` that corresponds to it (step k of a loop to step k)."""
    table: dict[tuple[object, ...], int] = {}
    mine = call_keys(base, table)
    theirs = dict(zip(call_keys(other, table), (c.id for c in other.calls), strict=True))
    return {c.id: theirs[k] for c, k in zip(base.calls, mine, strict=True) if k in theirs}


@dataclass(frozen=True)
class _Run:
    """One usable run: which group it grew, to what size, and its calls by key."""

    slot: int  # index of its group among the experiments
    base: int  # the group's base size
    size: int
    calls: dict[int, Call]
    trace: Trace


def provenance(base: Trace, experiments: Sequence[Experiment]) -> Provenance:
    """Infer the origin of every size of `base` from runs with one axis group grown at a time.

    Args:
        base: the trace of the unchanged inputs.
        experiments: one per axis group, each with its runs (failed runs carry an error instead).

    A size that moves in no run is a constant. One that moves with a group by the same slope `a` in
    every run of it (s(n+1) − s(n) = a and s(2n) = s(n) + a·n) is linear in it; when it moves with
    several groups and is proportional to each (s = |B|·|T|), it is their product. A size that moves
    but fits neither is inexact.
    """
    with _no_gc():
        return _provenance(base, experiments)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC: the many small keys and tuples made here trigger full collections that walk
    every record of the traces (a 42k-call trace and six runs, 300k calls: 2.9 s with it, 1.0 s without)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _provenance(base: Trace, experiments: Sequence[Experiment]) -> Provenance:
    """Infer the origins as `provenance` says, with the GC already paused."""
    table: dict[tuple[object, ...], int] = {}  # one table for all traces: equal keys mean matching calls
    base_keys = call_keys(base, table)
    runs, failed = _usable_runs(experiments, table, _failure_key(base, base_keys))
    groups = tuple(e.group for e in experiments)
    infer = _Inference(groups, runs)
    origins: dict[Key, Origin] = {}
    unmatched = dict.fromkeys(groups, 0)
    for c, key in zip(base.calls, base_keys, strict=True):
        found = [r.calls.get(key) for r in runs]
        for slot in _unreached(infer.tested, runs, found):
            unmatched[groups[slot]] += 1
        ins, outs = _sides(found)
        infer.tensors(origins, (c.id, IN), c.inputs, ins)
        infer.tensors(origins, (c.id, OUT), c.outputs, outs)
    infer.tensors(origins, (MODEL_INPUT, IN), base.inputs, [r.trace.inputs for r in runs])
    infer.tensors(origins, (MODEL_OUTPUT, OUT), base.outputs, [r.trace.outputs for r in runs])
    return Provenance(tuple(experiments), origins, tuple(failed), {g: n for g, n in unmatched.items() if n})


def _usable_runs(
    experiments: Sequence[Experiment], table: dict[tuple[object, ...], int], base_fail: int | None
) -> tuple[list[_Run], list[tuple[str, int, str]]]:
    """Key the calls of every run that changed its group's size; list the runs that failed."""
    runs: list[_Run] = []
    failed: list[tuple[str, int, str]] = []
    for slot, e in enumerate(experiments):
        for t in e.trials:
            if t.trace is None:
                failed.append((e.group, t.size, t.error or "the run could not be made"))
                continue
            if t.size == e.size:
                continue  # no change: it tells nothing
            keys = call_keys(t.trace, table)
            # a run that fails where the base run failed is as good as the base; elsewhere, say so,
            # yet keep it: the calls it did make still count
            if t.trace.failure is not None and _failure_key(t.trace, keys) != base_fail:
                f = t.trace.failure
                failed.append((e.group, t.size, f"{f.exc_type}: {f.message}"))
            runs.append(_Run(slot, e.size, t.size, dict(zip(keys, t.trace.calls, strict=True)), t.trace))
    return runs, failed


def _unreached(tested: list[int], runs: list[_Run], found: list[Call | None]) -> list[int]:
    """List the tested groups none of whose runs made a call (`found`: its counterpart in each run)."""
    reached = {r.slot for r, other in zip(runs, found, strict=True) if other is not None}
    return [slot for slot in tested if slot not in reached]


def _sides(found: list[Call | None]) -> tuple[list[_Side | None], list[_Side | None]]:
    """Split a call's counterparts in the runs into their inputs and their outputs (None where missing)."""
    return [o.inputs if o is not None else None for o in found], [o.outputs if o is not None else None for o in found]


def _failure_key(trace: Trace, keys: list[int]) -> int | None:
    """The matching key of the call a trace failed at (-1 when it failed outside any call)."""
    if trace.failure is None:
        return None
    return next((k for c, k in zip(trace.calls, keys, strict=True) if c.id == trace.failure.call), -1)


class _Inference:
    """Origins of sizes, each inferred once per distinct observation (most shapes repeat: every step
    of a loop sees the same ones)."""

    def __init__(self, groups: tuple[str, ...], runs: list[_Run]) -> None:
        self.groups = groups
        self.runs = runs
        self.tested = sorted({r.slot for r in runs})
        self.bases = {r.slot: r.base for r in runs}
        self.lost = [r.trace.failure is not None for r in runs]
        self.memo: dict[tuple[object, ...], tuple[Origin | None, ...]] = {}
        self.sizes: dict[tuple[int | None, ...], Origin | None] = {}
        self.shared: dict[Origin, Origin] = {}

    def tensors(self, out: dict[Key, Origin], where: tuple[str, str], base: _Side, others: list[_Side | None]) -> None:
        """Add the origins of every dim of `base` (one side of a call, or the model's inputs or outputs)
        to `out`; `others` holds the same side in each run, None where the run lacks the call."""
        call, side = where
        by_path: list[dict[str, tuple[int, ...]] | None] = [None] * len(others)
        for j, t in enumerate(base):
            seen: list[object] = [t.shape]
            for i, o in enumerate(others):
                shape = None
                if o is not None:
                    if j < len(o) and o[j].path == t.path:
                        shape = o[j].shape
                    else:  # the runs differ in this call's arguments: look the tensor up by its path
                        paths = by_path[i]
                        if paths is None:
                            paths = by_path[i] = {x.path: x.shape for x in o}
                        shape = paths.get(t.path)
                # a run that failed and lacks this tensor says nothing either way (`blind`); when no
                # run of a group has it (with this rank) though one finished, the size is unknown
                seen.append(shape if shape is not None else _LOST if self.lost[i] else None)
            key = tuple(seen)
            dims = self.memo.get(key)
            if dims is None:
                dims = self.memo[key] = self._dims(t.shape, seen[1:])
            for d, origin in enumerate(dims):
                if origin is not None:
                    out[(call, side, j, d)] = origin

    def _dims(self, shape: tuple[int, ...], seen: list[object]) -> tuple[Origin | None, ...]:
        """The origin of each dim of a tensor of `shape` in the base run, seen as `seen` in the runs."""
        found = []
        for d, s0 in enumerate(shape):
            column = (s0, *(_size(x, d, len(shape)) for x in seen))
            if column not in self.sizes:
                origin = self._fit(column)
                self.sizes[column] = self.shared.setdefault(origin, origin) if origin is not None else None
            found.append(self.sizes[column])
        return tuple(found)

    def _fit(self, seen: tuple[int | None, ...]) -> Origin | None:
        """The origin of a size seen as seen[0] in the base run and seen[1 + i] in run i (None: not there)."""
        s0 = seen[0]
        assert s0 is not None
        fits: Fits = []
        blind: list[str] = []
        checked = True
        for slot in self.tested:
            mine = [(r.size, s) for r, s in zip(self.runs, seen[1:], strict=True) if r.slot == slot]
            points = [(m, s) for m, s in mine if s is not None and s != _LOST]
            if not points:
                if any(s is None for _, s in mine):
                    return None  # a run of this group finished without making this call: unknown
                blind.append(self.groups[slot])  # every run of this group failed before this call
                continue
            if any(s != s0 for _, s in points):
                fits.append((self.groups[slot], self.bases[slot], GroupFit.of(self.bases[slot], s0, points)))
                checked = checked and len({m for m, _ in points}) > 1
        origin = fit_origin(s0, fits, checked)
        return dataclasses.replace(origin, blind=tuple(blind)) if blind else origin


def _size(seen: object, d: int, rank: int) -> int | None:
    """Dim `d` of a shape seen in a run (`_LOST` stays `_LOST`; another rank, or none, is None)."""
    if isinstance(seen, tuple):
        return seen[d] if len(seen) == rank else None
    return _LOST if seen == _LOST else None
