"""Find recurrence in a Trace: runs of identical steps inside one parent call, each feeding the next.

Two kinds: a **loop over time** runs the same calls of the same modules from the same source sites
again (`for t in range(T): h = cell(x[t], h)`; a site is the instruction and the calls that led to it,
`record.Source.site`); a **repeat** runs sibling modules of the same structure, each feeding the next:
numbered layers from one call site (`for layer in self.layers: x = layer(x)`), or — whatever their
names and lines — layers whose sub-traces are identical: module types, op sequence and sites, every
shape and every parameter shape (`encoder_layer_0 … encoder_layer_11`, `block_a; block_b; …`).
Steps are aligned call by call in execution order, so two different ops of one step (the z and
the r sigmoid of a GRU) stay two calls; only the same position in two steps is merged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from ..kinds import CallKind
from ..record import Call, Trace, is_call_id
from ..record.index import Index
from ..record.loops import NO_LOOPS, Loop, Rolling
from .ops import activation, is_mul, round_product
from .passthrough import passes_through

__all__ = ["NO_LOOPS", "Loop", "Rolling", "find_loops", "rolling_for"]

_MAX_CANDIDATES = 8  # how many later occurrences of a step's first call are tried as the period
_Found = list[tuple[Loop, list[list[Call]]]]


def rolling_for(trace: Trace, all_ops: bool = False) -> Rolling:
    """`find_loops` over every call (`all_ops`) or over what the diagram draws by default: no bookkeeping
    op, no module that hands its input back (`passthrough`).

    Linear in the record; the pipeline computes it once and hands it to the view and the report.
    """
    if all_ops:
        return find_loops(trace, lambda c: True)
    return find_loops(trace, lambda c: not (c.bookkeeping or passes_through(trace, c)))


def find_loops(trace: Trace, significant: Callable[[Call], bool], repeats: bool = True) -> Rolling:
    """Detect loops (and, with `repeats`, repeated layers) among the significant calls of `trace`,
    and fold later steps onto the first."""
    kids: dict[str | None, list[Call]] = {}
    for c in trace.calls:
        if significant(c):
            kids.setdefault(c.parent, []).append(c)
    sig = _signatures(trace, kids)
    numbered = _signatures(trace, kids, by_structure=True) if repeats else {}
    same = _identical(trace, kids) if repeats else {}
    found: _Found = []
    for parent, children in kids.items():
        covered = _time_loops(trace, parent, children, sig, found)
        if repeats:
            covered |= _repeats(trace, parent, children, numbered, covered, found)
            _repeats(trace, parent, children, same, covered, found, strict=True)
    return _fold(trace, kids, found)


def _time_loops(trace: Trace, parent: str | None, children: list[Call], sig: dict[str, int], found: _Found) -> set[int]:
    """Add the loops over time among `children` to `found`; the positions they cover."""
    covered: set[int] = set()
    for start, period, count in _runs([sig[c.id] for c in children]):
        steps = [children[start + k * period : start + (k + 1) * period] for k in range(count)]
        if not _plausible(steps[0], count):
            continue
        state = _state(trace.index, steps)
        if state is None or _only_rounds(steps[0], trace.index):
            continue
        found.append((Loop("", parent, tuple(tuple(c.id for c in s) for s in steps), state), steps))
        covered.update(range(start, start + period * count))
    return covered


def _repeats(
    trace: Trace,
    parent: str | None,
    children: list[Call],
    shape: dict[str, int],
    covered: set[int],
    found: _Found,
    strict: bool = False,
) -> set[int]:
    """Add the runs of sibling layers of one structure among `children` (outside `covered`) to `found`;
    the positions they cover. `strict` runs (identical sub-traces, any names) from two or more lines
    need three layers: two same-shaped layers on two lines (`fc1`, `fc2`) are two roles, not a stack."""
    seq = [shape[c.id] if i not in covered else -1 - i for i, c in enumerate(children)]
    taken: set[int] = set()
    for start, period, count in _runs(seq):
        steps = [children[start + k * period : start + (k + 1) * period] for k in range(count)]
        if strict and count < 3 and len({_site(s[0]) for s in steps}) > 1:
            continue
        layers = _layers(steps) and not _only_rounds(steps[0], trace.index)
        state = _state(trace.index, steps) if layers else None
        if state is not None:
            found.append((Loop("", parent, tuple(tuple(c.id for c in s) for s in steps), state, True), steps))
            taken.update(range(start, start + period * count))
    return taken


def _site(c: Call) -> tuple[str, str | int] | None:
    """Where a call was made: its file and site (its line, in records without sites)."""
    return (c.source.file, c.source.site or c.source.line) if c.source is not None else None


def _fold(trace: Trace, kids: dict[str | None, list[Call]], found: _Found) -> Rolling:
    """Number the loops in execution order and fold every later step onto the first."""
    index = trace.index
    found.sort(key=lambda item: index.position(item[0].steps[0][0]))
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
            lo, hi = _span(index, steps, k)
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
    # Interned, not hashed: equal subtrees get equal numbers in every process (no PYTHONHASHSEED luck).
    numbers: dict[tuple[object, ...], int] = {}
    for c in reversed(trace.calls):  # children come after parents in execution order
        where = _site(c)
        name = c.name if c.kind == CallKind.MODULE else c.type
        if by_structure and c.kind == CallKind.MODULE:
            name = ".".join("#" if part.isdigit() else part for part in name.split(".")) + "/" + c.type
        own = (c.kind, name, where)
        key = (own, tuple(sig[k.id] for k in kids.get(c.id, ())))
        sig[c.id] = numbers.setdefault(key, len(numbers))
    return sig


def _identical(trace: Trace, kids: dict[str | None, list[Call]]) -> dict[str, int]:
    """Number each call by its significant sub-trace with names left out: equal numbers for calls whose
    module types, op sequence and sites, tensor shapes and dtypes, and parameter shapes are all equal.

    Inside a call every site counts (the ops and layers of one class's `forward`); the call's own site
    does not, so that layers called one per line (`x = self.block_a(x)`, `x = self.block_b(x)`) compare
    equal. Non-tensor arguments are left out: layers that differ only in one (a dilation) fold, and the
    view says what differs.
    """
    sig: dict[str, int] = {}
    body: dict[str, int] = {}
    numbers: dict[tuple[object, ...], int] = {}
    for c in reversed(trace.calls):
        tensors = tuple((t.shape, t.dtype) for t in (*c.inputs, *c.outputs))
        params = tuple((p.name, p.shape, p.dtype) for p in c.param_list)
        inner = tuple(sig[k.id] for k in kids.get(c.id, ()))
        own = (c.kind, c.type, len(c.inputs), tensors, params, c.bookkeeping)
        body[c.id] = numbers.setdefault((own, None, inner), len(numbers))
        sig[c.id] = numbers.setdefault((own, _site(c), inner), len(numbers))
    return body


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


def _only_rounds(step: list[Call], index: Index) -> bool:
    """A Mogrifier's rounds are numbered one by one (`round 1` … `round 5`), never rolled into a loop,
    even when a Python loop with shared Q and R layers runs them: a step made of rounds alone (each call
    a round's σ, its scaling, its product, or the layer feeding the σ) is no loop step. A time step that
    also does other work (slices x[t], runs the LSTM cell) is one, whether it calls a Mogrifier cell
    module or runs the rounds itself."""
    parts: set[str] = set()
    users = index.readers
    for c in step:
        product = round_product(c, users) if activation(c) is not None else None
        if product is None:
            continue
        parts.update((c.id, product.id))
        parts.update(m.id for m in users(c.id) if is_mul(m))  # the `2 * σ` scaling
        for t in c.inputs:  # the Q or R layer (a module keeps its inner op as the producer)
            feeder = _containing(step, t.producer, index) if is_call_id(t.producer) else None
            if feeder is not None:
                parts.add(feeder.id)
    return bool(parts) and all(c.id in parts or c.bookkeeping for c in step)


def _containing(step: list[Call], call_id: str, index: Index) -> Call | None:
    """The call of `step` that is `call_id` or has it inside, if any."""
    if call_id not in index:
        return None
    return next((c for c in step if index.contains(c.id, call_id)), None)


def _span(index: Index, steps: list[list[Call]], k: int) -> tuple[int, int]:
    """Indices of the first and last call of step k, bookkeeping after its last significant call included
    (the `.detach()` that hands a decoder's argmax token to the next step belongs to this step)."""
    lo = index.position(steps[k][0].id)
    hi = index.position(steps[k + 1][0].id) - 1 if k + 1 < len(steps) else index.end(steps[k][-1].id)
    return lo, hi


def _state(index: Index, steps: list[list[Call]]) -> tuple[tuple[int, ...], ...] | None:
    """Shapes carried from each step into the next, or None when no step feeds the next."""
    shapes: dict[tuple[int, ...], None] = {}
    for k in range(len(steps) - 1):
        lo, hi = _span(index, steps, k)
        start, stop = _span(index, steps, k + 1)
        fed = False
        for call in index.calls[start : stop + 1]:
            for t in call.inputs:
                p = index.get(t.producer)
                if p is not None and lo <= index.position(p.id) <= hi:
                    fed = True
                    if call.parent is not None and index.position(call.parent) < start:  # a step-level input
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
