"""Find recurrence in a Trace: runs of identical steps inside one parent call, each feeding the next.

Two kinds: a **loop over time** runs the same calls of the same modules from the same source sites
again (`for t in range(T): h = cell(x[t], h)`; a site is the instruction and the calls that led to it,
`record.Source.site`); a **repeat** runs sibling modules of the same structure from the same call site,
each feeding the next (`for layer in self.layers: x = layer(x)`).
Steps are aligned call by call in execution order, so two different ops of one step (the z and
the r sigmoid of a GRU) stay two calls; only the same position in two steps is merged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from ..kinds import CallKind
from ..record import Call, Trace, is_call_id
from .ops import activation, is_mul, round_product

_MAX_CANDIDATES = 8  # how many later occurrences of a step's first call are tried as the period


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


def _index(call_id: str) -> int:
    return int(call_id[5:])


_MEMO: dict[tuple[int, bool], tuple[tuple[Call, ...], Rolling]] = {}


def rolling_for(trace: Trace, all_ops: bool) -> Rolling:
    """`find_loops` over every op (`all_ops`) or over the non-bookkeeping ones, computed once per
    calls tuple: the gates stage and the view both need it, and it is linear in the trace."""
    key = (id(trace.calls), all_ops)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is trace.calls:
        return hit[1]
    result = find_loops(trace, (lambda c: True) if all_ops else (lambda c: not c.bookkeeping))
    _MEMO.clear()  # keep one trace's result: memory stays flat across many traces
    _MEMO[key] = (trace.calls, result)
    return result


def find_loops(trace: Trace, significant: Callable[[Call], bool], repeats: bool = True) -> Rolling:
    """Detect loops (and, with `repeats`, repeated layers) among the significant calls of `trace`,
    and fold later steps onto the first."""
    kids: dict[str | None, list[Call]] = {}
    for c in trace.calls:
        if significant(c):
            kids.setdefault(c.parent, []).append(c)
    sig = _signatures(trace, kids)
    shape = _signatures(trace, kids, by_structure=True) if repeats else {}
    ends = subtree_ends(trace)
    users = _Users(trace)
    found: list[tuple[Loop, list[list[Call]]]] = []
    for parent, children in kids.items():
        covered: set[int] = set()
        for start, period, count in _runs([sig[c.id] for c in children]):
            steps = [children[start + k * period : start + (k + 1) * period] for k in range(count)]
            if not _plausible(steps[0], count):
                continue
            state = _state(trace, steps, ends)
            if state is None or _only_rounds(steps[0], users, ends):
                continue
            found.append((Loop("", parent, tuple(tuple(c.id for c in s) for s in steps), state), steps))
            covered.update(range(start, start + period * count))
        if not shape:
            continue
        seq = [shape[c.id] if i not in covered else -1 - i for i, c in enumerate(children)]
        for start, period, count in _runs(seq):
            steps = [children[start + k * period : start + (k + 1) * period] for k in range(count)]
            layers = _layers(steps) and not _only_rounds(steps[0], users, ends)
            state = _state(trace, steps, ends) if layers else None
            if state is not None:
                found.append((Loop("", parent, tuple(tuple(c.id for c in s) for s in steps), state, True), steps))
    return _fold(trace, kids, found, ends)


def _fold(
    trace: Trace, kids: dict[str | None, list[Call]], found: list[tuple[Loop, list[list[Call]]]], ends: dict[str, int]
) -> Rolling:
    """Number the loops in execution order and fold every later step onto the first."""
    found.sort(key=lambda item: _index(item[0].steps[0][0]))
    numbers = {True: 0, False: 0}
    rep: dict[str, str] = {}
    step_of: dict[str, tuple[str, int]] = {}
    within: dict[str, list[tuple[str, int]]] = {}
    varies: set[str] = set()
    loops = []
    for draft, steps in found:
        loop_id = f"{'repeat' if draft.repeat else 'loop'}-{numbers[draft.repeat]}"
        numbers[draft.repeat] += 1
        loops.append(Loop(loop_id, draft.parent, draft.steps, draft.state, draft.repeat))
        for k, step in enumerate(steps):
            for a, b in zip(steps[0], step, strict=True):
                _align(a, b, kids, rep, varies)
            lo, hi = _span(steps, k, ends)
            for i in range(lo, hi + 1):
                within.setdefault(trace.calls[i].id, []).append((loop_id, k))
    for call, places in within.items():
        step_of[call] = places[0]  # loops come in execution order: the outermost first
    # Compose: a call in step 3 of an inner loop inside step 2 of an outer loop folds twice.
    final = {c: _root(c, rep) for c in rep}
    roots = frozenset(_root(v, rep) for v in varies)
    return Rolling(tuple(loops), final, step_of, roots, {c: tuple(p) for c, p in within.items()})


def _layers(steps: list[list[Call]]) -> bool:
    """A run of sibling layers worth folding: module calls with their own names in each step (the same
    module again would be a loop over time), and the same input and output shapes all along."""
    if not any(c.kind == CallKind.MODULE for c in steps[0]):
        return False
    if [c.name for c in steps[0]] == [c.name for c in steps[1]]:
        return False

    def shapes(step: list[Call]) -> list[tuple[tuple[int, ...], ...]]:
        return [tuple(t.shape for t in c.inputs) + tuple(t.shape for t in c.outputs) for c in step]

    first = shapes(steps[0])
    return all(shapes(step) == first for step in steps[1:])


def _plausible(step: list[Call], count: int) -> bool:
    """Reject chains that only look periodic, such as the two muls of `2 * σ(a) * x`."""
    if any(c.kind == CallKind.MODULE for c in step):
        return True
    return count >= 3 if len(step) == 1 else len(step) * count >= 4


def _root(c: str, rep: dict[str, str]) -> str:
    while c in rep and rep[c] != c:
        c = rep[c]
    return c


def _signatures(trace: Trace, kids: dict[str | None, list[Call]], by_structure: bool = False) -> dict[str, int]:
    """Hash each call with its significant subtree; calls that differ anywhere hash apart.

    The site that made a call is part of it: a loop step is the same code running again, so two different
    lines that happen to run the same ops (`y = (x + b) * c; z = (y + d) * e`) are not, nor the four
    products of one line `x * b * c * d * e`, nor one helper called from two lines (its ops have one line
    but two sites). Records without sites fall back to the line.
    `by_structure` hashes module paths with their indices left out (`layers.#.attn`), so sibling
    layers of one structure hash alike.
    """
    sig: dict[str, int] = {}
    for c in reversed(trace.calls):  # children come after parents in execution order
        where = (c.source.file, c.source.site or c.source.line) if c.source is not None else None
        name = c.name if c.kind == CallKind.MODULE else c.type
        if by_structure and c.kind == CallKind.MODULE:
            name = ".".join("#" if part.isdigit() else part for part in name.split(".")) + "/" + c.type
        own = (c.kind, name, where)
        sig[c.id] = hash((own, tuple(sig[k.id] for k in kids.get(c.id, ()))))
    return sig


def subtree_ends(trace: Trace) -> dict[str, int]:
    """Map each call id to the index of the last call inside it (its own index if a leaf)."""
    ends = {c.id: i for i, c in enumerate(trace.calls)}
    for i in range(len(trace.calls) - 1, -1, -1):
        c = trace.calls[i]
        if c.parent is not None and ends[c.id] > ends[c.parent]:
            ends[c.parent] = ends[c.id]
    return ends


def _runs(seq: list[int]) -> list[tuple[int, int, int]]:
    """Greedy left-to-right maximal repeats: (start, period, count) with count >= 2."""
    where: dict[int, list[int]] = {}
    for i, s in enumerate(seq):
        where.setdefault(s, []).append(i)
    runs = []
    i, n = 0, len(seq)
    while i < n:
        best: tuple[int, int] | None = None  # (covered, period)
        later = where[seq[i]]
        pos = bisect_right(later, i)
        for j in later[pos : pos + _MAX_CANDIDATES]:
            p = j - i
            if j + p > n or (best is not None and best[0] >= n - i):
                break
            body = seq[i:j]
            count = 1
            while seq[i + count * p : i + (count + 1) * p] == body:
                count += 1
            if count >= 2 and (best is None or count * p > best[0]):
                best = (count * p, p)
        if best is None:
            i += 1
            continue
        runs.append((i, best[1], best[0] // best[1]))
        i += best[0]
    return runs


class _Users:
    """The calls that read each call's outputs, built on first use."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.map: dict[str, list[Call]] | None = None

    def __call__(self, call_id: str) -> list[Call]:
        if self.map is None:
            self.map = {}
            for c in self.trace.calls:
                for t in c.inputs:
                    if is_call_id(t.producer):
                        self.map.setdefault(t.producer, []).append(c)
        return self.map.get(call_id, [])


def _only_rounds(step: list[Call], users: _Users, ends: dict[str, int]) -> bool:
    """A Mogrifier's rounds are numbered one by one (`round 1` … `round 5`), never rolled into a loop,
    even when a Python loop with shared Q and R layers runs them: a step made of rounds alone (each call
    a round's σ, its scaling, its product, or the layer feeding the σ) is no loop step. A time step that
    also does other work (slices x[t], runs the LSTM cell) is one, whether it calls a Mogrifier cell
    module or runs the rounds itself."""
    parts: set[str] = set()
    for c in step:
        product = round_product(c, users) if activation(c) is not None else None
        if product is None:
            continue
        parts.update((c.id, product.id))
        parts.update(m.id for m in users(c.id) if is_mul(m))  # the `2 * σ` scaling
        for t in c.inputs:  # the Q or R layer (a module keeps its inner op as the producer)
            feeder = _containing(step, t.producer, ends) if is_call_id(t.producer) else None
            if feeder is not None:
                parts.add(feeder.id)
    return bool(parts) and all(c.id in parts or c.bookkeeping for c in step)


def _containing(step: list[Call], call_id: str, ends: dict[str, int]) -> Call | None:
    """The call of `step` that is `call_id` or has it inside, if any."""
    i = _index(call_id)
    return next((c for c in step if _index(c.id) <= i <= ends[c.id]), None)


def _span(steps: list[list[Call]], k: int, ends: dict[str, int]) -> tuple[int, int]:
    """Indices of the first and last call of step k, bookkeeping after its last significant call included
    (the `.detach()` that hands a decoder's argmax token to the next step belongs to this step)."""
    lo = _index(steps[k][0].id)
    hi = _index(steps[k + 1][0].id) - 1 if k + 1 < len(steps) else ends[steps[k][-1].id]
    return lo, hi


def _state(trace: Trace, steps: list[list[Call]], ends: dict[str, int]) -> tuple[tuple[int, ...], ...] | None:
    """Shapes carried from each step into the next, or None when no step feeds the next."""
    shapes: dict[tuple[int, ...], None] = {}
    for k in range(len(steps) - 1):
        lo, hi = _span(steps, k, ends)
        start, stop = _span(steps, k + 1, ends)
        fed = False
        for call in trace.calls[start : stop + 1]:
            for t in call.inputs:
                if is_call_id(t.producer) and lo <= _index(t.producer) <= hi:
                    fed = True
                    if call.parent is not None and _index(call.parent) < start:  # a step-level input
                        shapes.setdefault(t.shape)
        if not fed:
            return None
    return tuple(shapes)


def _align(a: Call, b: Call, kids: dict[str | None, list[Call]], rep: dict[str, str], varies: set[str]) -> None:
    """Fold call b (and its significant subtree) onto the same-position call a of step one."""
    todo = [(a, b)]
    while todo:
        x, y = todo.pop()
        if x.id != y.id:
            rep[y.id] = x.id
            if [t.shape for t in x.inputs] != [t.shape for t in y.inputs] or [t.shape for t in x.outputs] != [
                t.shape for t in y.outputs
            ]:
                varies.add(x.id)
        todo.extend(zip(kids.get(x.id, ()), kids.get(y.id, ()), strict=False))
