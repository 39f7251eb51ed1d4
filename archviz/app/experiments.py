"""The doctor's experiments: the model traced again with one input axis grown at a time.

Every dim of every input is grown on its own first (n+1). Dims are joined into one axis only when the
model requires them to move together: when growing one alone fails where the traced pass did not (an
`attention_mask` whose length must follow `input_ids`'), the dims of the same size in the other inputs
are tried with it — one at a time, then all of them, then every dim of that size. Sizes that merely
coincide (3 captions, 3 colour channels; a batch of 8 and 8 time steps) stay separate axes. Once an
axis is found it is grown to a second size (2n; n+8 above 64) so that linear forms can be fitted and
checked. An axis no growth could run is *fixed*: the model is built for that size.

The order is fixed (inputs in order, dims in order), so what the experiments learn depends on the
model and its inputs alone, never on how long they take. Each run is bounded in elements: a growth
that would make the inputs more than `MAX_GROWTH` times larger is not run.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..analysis.provenance import Experiment, Trial
from ..errors import Timeout
from ..kinds import CallKind
from ..record import Trace, named_path
from .tracing import Target, process_kept, time_limit

MAX_GROWTH = 8  # a run's inputs may hold at most this many times the traced pass's elements (and 2^24 more)
_SLACK = 1 << 24
STOPPED = "stopped by --timeout"
_PAIRS = 3  # partners tried one at a time before all of them at once


def trial_sizes(n: int) -> tuple[int, int]:
    """The two sizes an axis of size `n` is grown to: n+1 and 2n (n+8 above 64; 2 and 3 for n = 1)."""
    if n <= 1:
        return (n + 1, n + 2)
    return (n + 1, 2 * n) if n <= 64 else (n + 1, n + 8)


@dataclass
class _Search:
    """One model's experiments as they are found."""

    target: Target
    timeout: float | None
    dims: list[Any] = field(default_factory=list)  # perturb.AxisGroup of one member each, in input order
    taken: set[tuple[str, int]] = field(default_factory=set)
    done: list[Experiment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: bool = False
    runs: int = 0  # experiments that ran the model again
    meta: bool = False  # whether runs may be made on the meta device first (see `meta_works`)
    made: dict[tuple[tuple[tuple[str, int], ...], int], Trial] = field(default_factory=dict)

    def run(self, members: tuple[tuple[str, int], ...], size: int, n: int) -> Trial:
        """One run with `members` (all of size `n`) grown to `size`; a run made before is not made again."""
        from ..capture import perturb

        known = self.made.get((members, size))
        if known is not None:
            return known
        group = perturb.AxisGroup(f"g{len(self.done)}", n, members)
        trial = self.made[(members, size)] = _trial(self.target, group, size, self.timeout, self.meta)
        self.runs += trial.trace is not None
        self.stopped = self.stopped or trial.error == STOPPED
        return trial

    def axis(self, first: Any) -> tuple[tuple[tuple[str, int], ...], Trial, int | None]:
        """The smallest set of same-sized dims, `first` among them, that the model accepts grown; the run
        that showed it (a failing one when none does: the axis is fixed); and the axis found before that
        it joins, if any (targets whose batch must follow the inputs' batch, found first)."""
        n = first.size
        alone = self.run(first.members, n + 1, n)
        if self.stopped or (not alone.error and self._reaches_outputs(alone)):
            return first.members, alone, None
        # It failed alone, or ran but its growth reached no output (the model dropped it: a batch of
        # token ids grown without its `lengths` loses the new sample in pack_padded_sequence).
        for k, exp in enumerate(self.done):
            if exp.size == n and any(not t.error for t in exp.trials):
                members = tuple(sorted({*first.members, *exp.members}, key=self._order))
                trial = self.run(members, n + 1, n)
                if self.stopped or (not trial.error and (alone.error or self._reaches_outputs(trial))):
                    return members, trial, k
        members, trial = self._with_partners(first, alone)
        return members, trial, None

    def _with_partners(self, first: Any, alone: Trial) -> tuple[tuple[tuple[str, int], ...], Trial]:
        """`first` grown with untaken dims of its size: one at a time, then all of them, then every one."""
        n = first.size
        partners = self._partners(first)
        seen = {first.members}
        for tried in [*([p] for p in partners[:_PAIRS]), partners, self._same_size(first)]:
            members = tuple(sorted({*first.members, *tried}, key=self._order))
            if members in seen:
                continue
            seen.add(members)
            trial = self.run(members, n + 1, n)
            if self.stopped or (not trial.error and (alone.error or self._reaches_outputs(trial))):
                return members, trial
        return first.members, alone

    def _reaches_outputs(self, trial: Trial) -> bool:
        """Whether a run's outputs differ in shape from the traced pass's (or it cannot be told)."""
        base = self.target.trace
        if trial.trace is None or base.failure is not None or not base.outputs:
            return True
        return [t.shape for t in trial.trace.outputs] != [t.shape for t in base.outputs]

    def _partners(self, first: Any) -> list[tuple[str, int]]:
        """Untaken dims of the same size in the other inputs, the same dim index first."""
        path, dim = first.members[0]
        found = [m for g in self.dims for m in g.members if g.size == first.size and m[0] != path]
        found = [m for m in found if m not in self.taken]
        return sorted(found, key=lambda m: (m[1] != dim, self._order(m)))

    def _same_size(self, first: Any) -> list[tuple[str, int]]:
        """Every untaken dim of that size, in the same input too (a square mask: [T, T])."""
        return [m for g in self.dims for m in g.members if g.size == first.size and m not in self.taken]

    def _order(self, member: tuple[str, int]) -> int:
        return next(i for i, g in enumerate(self.dims) if g.members[0] == member)


def experiments(target: Target, timeout: float | None = None) -> tuple[list[Experiment], list[str]]:
    """Trace the model again with each input axis grown; the experiments and what could not run.

    `timeout` (`--timeout`) bounds each run as it bounds the traced pass; a run it stops ends the
    experiments, and a note says so (its sizes are not used).
    """
    from ..capture import perturb

    live = target.live
    if live is None:
        return [], ["the model's inputs were not kept: sizes are named from the modules only"]
    if target.trace.failure is not None and target.trace.failure.exc_type == Timeout.__name__:
        return [], ["the forward pass was stopped by --timeout: it was not run again to trace sizes back"]
    search = _Search(target, timeout, perturb.input_dims(live.args, live.kwargs))
    search.meta = meta_works(target, timeout)
    fixed: dict[str, str] = {}
    for first in search.dims:
        if first.members[0] in search.taken:
            continue
        members, trial, joins = search.axis(first)
        if search.stopped:
            break
        search.taken.update(members)
        trials = [trial]
        if not trial.error:
            trials.append(search.run(members, trial_sizes(first.size)[1], first.size))
        if search.stopped:
            break
        group = search.done[joins].group if joins is not None else f"g{len(search.done)}"
        exp = Experiment(group, first.size, members, tuple(trials))
        if joins is not None:
            search.done[joins] = exp
        else:
            search.done.append(exp)
        note = _fixed_note(target.trace, exp)
        if note:
            fixed[group] = note
    search.notes[:0] = [fixed[e.group] for e in search.done if e.group in fixed]
    if search.stopped:
        search.notes.append(
            f"--timeout stopped the doctor's runs after {len(search.done)} input axes: sizes traced back from those"
        )
    if search.runs:
        times = "once more" if search.runs == 1 else f"again for {search.runs} experiments"
        search.notes.append(
            f"the model ran {times}, each with input axes grown, to trace sizes back to the inputs "
            "(what those runs print is hidden; side effects such as files or requests happen again)"
        )
    return search.done, search.notes


def meta_works(target: Target, timeout: float | None) -> bool:
    """Whether the model's runs are made on the meta device first (shapes only): when the traced pass did
    enough arithmetic for that to pay (`meta.worth`), made no call whose errors meta skips, did not fail,
    and a meta run of its own inputs makes the same calls with the same shapes. Else every run is real."""
    from ..capture import meta

    live, base = target.live, target.trace
    if live is None or base.failure is not None or not meta.worth(base) or meta.unchecked(base):
        return False
    traced = _traced(target, live.args, live.kwargs, timeout, on_meta=True)
    return (
        traced is not None and traced.failure is None and not meta.unchecked(traced) and meta.same_shapes(traced, base)
    )


def _traced(
    target: Target, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float | None, on_meta: bool = False
) -> Trace | None:
    """The record of one run of the model on `args`/`kwargs`; `on_meta`: on the meta device, None when the
    model or its inputs cannot go there."""
    from .. import capture
    from ..capture import meta

    assert target.live is not None
    live, base = target.live, target.trace
    root_dir = os.path.dirname(target.path) if target.path else None
    with contextlib.ExitStack() as stack:
        stack.enter_context(process_kept())  # the model's code runs again: undo what it does again
        stack.enter_context(_silenced())
        stack.enter_context(time_limit(timeout))
        if on_meta:
            given = stack.enter_context(meta.on_meta(live.model, args, kwargs))
            if given is None:
                return None
            args, kwargs = given
        return capture.trace_model(
            live.model,
            args,
            kwargs,
            name=base.model_name,
            source_file=base.source_file,
            root_dir=root_dir,
            verify=False,
        )


def _trial(target: Target, group: Any, size: int, timeout: float | None, on_meta: bool = False) -> Trial:
    """One run of the model with `group`'s axes grown to `size`: on the meta device first when `on_meta`,
    and again on real tensors when that run failed or read index values (which meta does not check)."""
    from ..capture import meta, perturb

    assert target.live is not None
    live, base = target.live, target.trace
    try:
        args, kwargs = perturb.perturbed(live.args, live.kwargs, group, size)
    except (TypeError, ValueError, RuntimeError) as exc:  # an input that cannot be grown
        return Trial(size, None, f"its inputs could not be grown: {type(exc).__name__}: {exc}")
    before, after = perturb.elements((live.args, live.kwargs)), perturb.elements((args, kwargs))
    if after > MAX_GROWTH * before + _SLACK:
        return Trial(size, None, f"growing it would make the inputs {after:,} elements: not run")
    traced = _traced(target, args, kwargs, timeout, on_meta=True) if on_meta else None
    if traced is not None and traced.failure is not None and traced.failure.exc_type == Timeout.__name__:
        return Trial(size, None, STOPPED)
    if traced is None or traced.failure is not None or meta.unchecked(traced):
        traced = _traced(target, args, kwargs, timeout)
        assert traced is not None
    failure = traced.failure
    if failure is not None and failure.exc_type == Timeout.__name__:
        return Trial(size, None, STOPPED)
    if failure is None or (base.failure is not None and failure.call == base.failure.call):
        return Trial(size, traced)
    return Trial(size, traced, f"{_failed_at(traced)} fails with it ({failure.exc_type})")


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """The model's prints and its threads' tracebacks, hidden while it runs again: the user saw them once,
    in the traced pass (the doctor says it re-runs the model)."""
    hook = threading.excepthook
    threading.excepthook = lambda args: None
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        threading.excepthook = hook


def _failed_at(traced: Trace) -> str:
    """`Linear 'fc'`, `op Tensor.mul` or `the forward pass`: where a grown run failed."""
    where = traced.index.get(traced.failure.call if traced.failure else None)
    if where is None:
        return "the forward pass"
    return f"{where.type} '{where.name}'" if where.kind == CallKind.MODULE and where.name else f"op {where.type}"


def _fixed_note(base: Trace, exp: Experiment) -> str | None:
    """`x dim 2 = 10 is fixed: …` when no grown size ran: a size the model is built for."""
    if not exp.trials or any(not t.error for t in exp.trials):
        return None
    arg_names = base.calls[0].arg_names if base.calls else ()
    places = ", ".join(f"{named_path(p, arg_names)} dim {d}" for p, d in exp.members[:3])
    return f"{places} = {exp.size} is fixed: {exp.trials[0].error}"
