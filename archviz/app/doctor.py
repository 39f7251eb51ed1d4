"""`archviz doctor`: re-run the forward pass with each input axis grown, learn where every size comes
from, name the axes, and diagnose (see analysis.doctor for the rules).

The experiment: the model's inputs are grouped into axes (equal sizes are one axis); each axis is
grown to n+1 and to 2n in turn (by repeating its last slice, so token ids and masks stay valid), and
the forward pass is traced again. A size that moves with an axis comes from it; two runs give the
linear form (`T`, `T−1`, `2·T`, `B·T`). An axis the model accepts only at one size (a feature width
a layer is built for) is said to be fixed. Sizes the experiment cannot explain fall back to what the
modules document (an nn.LSTM's batch_first, a conv's channels).
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from dataclasses import dataclass, field

from ..analysis import annotate
from ..analysis.axes import Axes, describe, dim_names, name_axes
from ..analysis.doctor import Facts, diagnose
from ..analysis.provenance import Experiment, Provenance, Trial, provenance
from ..errors import ArchvizError, Timeout, UsageError
from ..kinds import CallKind, Severity
from ..record import Trace, named_path
from .docs import local_sources
from .pipeline import Dims
from .tracing import Live, Target, process_kept, time_limit

BIG = 5000  # calls: above this, `render` skips the experiments (`archviz doctor` always runs them)
RENDER_BUDGET = 2.0  # seconds `render` gives the experiments (estimated from the first run; --dims: no limit)


@dataclass
class Examined:
    """A record with its findings, and what the experiments learned."""

    trace: Trace
    provenance: Provenance | None = None
    axes: Axes | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def worst(self) -> Severity | None:
        order = [Severity.ERROR, Severity.WARNING, Severity.NOTE]
        found = {f.severity for f in self.trace.findings}
        return next((s for s in order if s in found), None)


def parse_dims(text: str | None) -> dict[str, tuple[str, ...]]:
    """`input_ids=B,T; mask=B,T` -> {"input_ids": ("B", "T"), "mask": ("B", "T")}; `auto` or None -> {}."""
    if not text or text.strip() == "auto":
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for part in re.split(r"[;\s]+(?=[^=;\s]+=)", text.strip()):
        name, eq, axes = part.partition("=")
        names = tuple(a.strip() for a in axes.split(",") if a.strip())
        words = all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", a) for a in names)
        if not eq or not name.strip() or not names or not words:
            raise UsageError(
                f"--dims {text!r}: give each input as NAME=AXIS,AXIS (e.g. `--dims 'input_ids=B,T'`, several "
                "separated by `;`); axis names are words, `_` for an axis you do not name."
            )
        found[name.strip()] = names
    return found


def _given(live: Live | None, dims: str | None) -> dict[str, tuple[str, ...]]:
    given = dict(parse_dims(dims))
    made = live.namespace.get("example_dims") if live is not None else None
    if callable(made) and not given:
        value = made()
        if not isinstance(value, dict):
            raise UsageError(
                f"example_dims() returned {type(value).__name__}; it must return a dict like {{'x': ('B', 'T', 'F')}}."
            )
        given = {str(k): tuple(str(a) for a in v) for k, v in value.items()}
    return given


def _facts(target: Target) -> Facts:
    if not target.path:
        return Facts()
    sources = {}
    for path in local_sources(target.path):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                sources[os.path.basename(path)] = fh.read()
        except OSError:
            continue
    return Facts(sources)


def _trial_sizes(n: int) -> tuple[int, int]:
    return (n + 1, 2 * n) if n <= 64 else (n + 1, n + 8)


class OverBudget(Exception):
    """The experiments would take longer than they may (render's budget): none are used."""


def experiments(
    target: Target, budget: float | None = None, timeout: float | None = None
) -> tuple[list[Experiment], list[str]]:
    """Trace the model again with each input axis grown; the experiments and what could not run.

    `budget`: seconds the experiments may take, estimated from the first run; over it, `OverBudget` is
    raised before the rest run (all groups or none: a group left out would make its sizes look constant).
    `timeout`: `--timeout`, for each run as for the traced pass; a pass it stopped is not run again.
    """
    from .. import capture
    from ..capture import perturb

    live = target.live
    if live is None:
        return [], ["the model's inputs were not kept (a script's call): sizes are named from the modules only"]
    base = target.trace
    if base.failure is not None and base.failure.exc_type == Timeout.__name__:
        return [], ["the forward pass was stopped by --timeout: it was not run again to trace sizes back"]
    done, notes = [], []
    root_dir = os.path.dirname(target.path) if target.path else None
    groups = perturb.axis_groups(live.args, live.kwargs)
    runs, ran, started = 2 * len(groups), 0, time.perf_counter()
    if budget is not None and live.seconds is not None and live.seconds * runs > budget:
        raise OverBudget(f"the {runs} runs would take about {live.seconds * runs:.0f} s")
    for group in groups:
        trials = []
        for size in _trial_sizes(group.size):
            try:
                args, kwargs = perturb.perturbed(live.args, live.kwargs, group, size)
            except (TypeError, ValueError, RuntimeError) as exc:  # an input that cannot be grown
                trials.append(Trial(size, None, f"its inputs could not be grown: {type(exc).__name__}: {exc}"))
                continue
            with process_kept(), time_limit(timeout):  # the model's code runs again: undo what it does again
                traced = capture.trace_model(
                    live.model, args, kwargs, name=base.model_name, source_file=base.source_file, root_dir=root_dir,
                    verify=False,
                )  # fmt: skip
            ran += 1
            took = time.perf_counter() - started
            if budget is not None and ran == 1 and took * runs > budget:
                raise OverBudget(f"the {runs} runs would take about {took * runs:.0f} s")
            failed = traced.failure is not None and (base.failure is None or traced.failure.call != base.failure.call)
            if failed:
                where = traced.call(traced.failure.call) if traced.failure and traced.failure.call else None
                what = (
                    "the forward pass" if where is None
                    else f"{where.type} '{where.name}'" if where.kind == CallKind.MODULE and where.name
                    else f"op {where.type}"
                )  # fmt: skip
                trials.append(Trial(size, traced, f"{what} fails with it ({traced.failure.exc_type})"))  # type: ignore[union-attr]
            else:
                trials.append(Trial(size, traced))
        done.append(Experiment(group.id, group.size, group.members, tuple(trials)))
        fixed = [t for t in trials if t.error]
        if fixed and len(fixed) == len(trials):
            arg_names = base.calls[0].arg_names if base.calls else ()
            places = ", ".join(f"{named_path(p, arg_names)} dim {d}" for p, d in group.members[:3])
            notes.append(f"{places} = {group.size} is fixed: {fixed[0].error}")
    return done, notes


def examine(
    target: Target,
    *,
    dims: str | None = None,
    run_experiments: bool = True,
    budget: float | None = None,
    timeout: float | None = None,
) -> Examined:
    """The record of `target` with its findings; provenance and axes when the experiments ran (within
    `budget` seconds, if given)."""
    trace = target.trace if target.trace.cells else annotate(target.trace)
    given = _given(target.live, dims)
    facts = _facts(target)
    notes: list[str] = []
    prov = axes = None
    if run_experiments:
        try:
            exps, notes = experiments(target, budget, timeout)
        except OverBudget as exc:
            notes.append(f"sizes were not traced back to the inputs: {exc} (`archviz doctor` does it)")
        else:
            prov = provenance(trace, exps)
            axes = name_axes(trace, prov, given)
    elif target.live is not None:
        notes.append(
            f"the record has {len(trace.calls):,} calls: sizes were not traced back to the inputs "
            "(`archviz doctor` does it)"
        )
    findings = diagnose(trace, prov, axes, facts)
    return Examined(dataclasses.replace(trace, findings=findings), prov, axes, notes)


def dims_view(examined: Examined, named: bool) -> Dims:
    """The doctor's sizes for the diagram (`named`: shapes drawn as `[B=4, T=12, 64]`) and the report."""
    prov, axes = examined.provenance, examined.axes
    if prov is None or axes is None:
        return Dims()
    trace = examined.trace
    names = dim_names(prov, axes) if named else {}
    by_tensor: dict[str, list[str]] = {}
    origins: dict[tuple[str, str, int], list[str]] = {}
    for c in trace.calls:
        for side, metas in (("in", c.inputs), ("out", c.outputs)):
            for i, t in enumerate(metas):
                texts = []
                for d in range(len(t.shape)):
                    o = prov.origin(c.id, side, i, d)
                    texts.append(describe(o, axes) if o is not None else "?")
                    if named and (c.id, side, i, d) in names:
                        by_tensor.setdefault(t.tid, [""] * len(t.shape))[d] = names[(c.id, side, i, d)]
                if t.shape:
                    origins[(c.id, side, i)] = texts
    return Dims(
        names=tuple((tid, tuple(v)) for tid, v in by_tensor.items()),
        origins=tuple((k, tuple(v)) for k, v in origins.items()),
        axes=axes_text(examined),
    )


def hint(examined: Examined, path: str) -> str | None:
    """`render`'s one line when the doctor found something."""
    counts: dict[Severity, int] = {}
    for f in examined.trace.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    serious = {s: n for s, n in counts.items() if s != Severity.NOTE}
    if not serious:
        return None
    said = ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in serious.items())
    first = next(f for f in examined.trace.findings if f.severity != Severity.NOTE)
    return f"the doctor found {said} ({first.where or 'see the report'}: {first.title}); run `archviz doctor {path}`"


def text(examined: Examined) -> str:
    """The doctor's findings for the terminal: most severe first, each with file:line, what was seen,
    why it is probably a bug and the likely fix; then the axes and what the experiments could not do."""
    lines = []
    for f in examined.trace.findings:
        lines.append(f"{f.where or examined.trace.source_file or 'model'}: {f.severity} [{f.code}] {f.title}")
        if f.source is not None and f.source.code:
            lines.append(f"    {f.source.line} | {f.source.code}")
        lines += [f"    seen: {f.seen}", f"    why:  {f.why}", f"    fix:  {f.fix}", ""]
    if not examined.trace.findings:
        lines += ["no findings: every size checked agrees with what the modules expect", ""]
    if examined.axes is not None and examined.provenance is not None:
        lines.append("axes: " + axes_text(examined))
    lines += [f"note: {n}" for n in examined.notes]
    return "\n".join(lines).rstrip() + "\n"


def axes_text(examined: Examined) -> str:
    """`B = 3 (x dim 1: nn.LSTM 'lstm'), T = 5 (x dim 0: nn.LSTM 'lstm')`."""
    assert examined.axes is not None and examined.provenance is not None
    arg_names = examined.trace.calls[0].arg_names if examined.trace.calls else ()
    parts = []
    for exp in examined.provenance.groups:
        name = examined.axes.names.get(exp.group)
        if name is None:
            continue
        evidence = examined.axes.evidence.get(exp.group, ())
        why = f": {evidence[0].text}" if evidence else ""
        where = ", ".join(f"{named_path(p, arg_names)} dim {d}" for p, d in exp.members[:2])
        parts.append(f"{name} = {exp.size} ({where}{why})")
    return "; ".join(parts) or "none named"


@dataclass
class ForRender:
    """What `render` takes from the doctor: the record with findings, the sizes to draw, its one-line hint,
    and why the doctor could not check the model (None when it could)."""

    trace: Trace
    dims: Dims | None
    hint: str | None
    failed: str | None = None


def for_render(target: Target, dims: str | None, path: str, timeout: float | None = None) -> ForRender:
    """The doctor as `render` runs it: the experiments only on records of up to `BIG` calls, and never in the
    way of the diagram — if the doctor itself fails, the record is drawn without it and the reason given."""
    parse_dims(dims)
    small = target.live is not None and len(target.trace.calls) <= BIG
    try:
        budget = None if dims else RENDER_BUDGET
        examined = examine(target, dims=dims, run_experiments=small, budget=budget, timeout=timeout)
    except ArchvizError:
        raise
    except Exception as exc:  # noqa: BLE001 - advice must not cost the user the diagram
        said = f"the doctor could not check this model ({type(exc).__name__}: {exc})"
        return ForRender(target.trace, None, None, said)
    return ForRender(examined.trace, dims_view(examined, named=dims is not None), hint(examined, path))
