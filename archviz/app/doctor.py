"""`archviz doctor`: re-run the forward pass with each input axis grown, learn where every size comes
from, name the axes, and diagnose (see analysis.doctor for the rules).

The experiments (`experiments`): every input dim is grown on its own (by repeating its last slice, so
token ids and masks stay valid), joined with others only when the model needs them to move together,
and the forward pass is traced again. A size that moves with an axis comes from it; two runs give the
linear form (`T`, `T−1`, `2·T`, `B·T`). An axis the model accepts only at one size (a feature width a
layer is built for) is said to be fixed. Axes are then named from evidence (`analysis.axes`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field

from ..analysis import annotate
from ..analysis.axes import Axes, describe, dim_names, name_axes, unknown_inputs
from ..analysis.doctor import Facts, diagnose
from ..analysis.provenance import Provenance, provenance
from ..errors import ArchvizError, UsageError
from ..kinds import Severity
from ..record import Trace
from . import experiments, findings
from .options import Options
from .pipeline import Dims
from .sources import local_sources
from .tracing import Live, Target


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


def examine(
    target: Target, *, dims: str | None = None, run_experiments: bool = True, timeout: float | None = None
) -> Examined:
    """The record of `target` with its findings; provenance and axes when the experiments ran."""
    trace = target.trace if target.trace.cells else annotate(target.trace)
    given = _given(target.live, dims)
    unknown, known = unknown_inputs(trace, given)
    if unknown:
        said = "--dims" if dims else "example_dims()"
        raise UsageError(
            f"{said} names {', '.join(repr(n) for n in unknown)}, which the model does not take; its inputs "
            f"are {', '.join(repr(n) for n in known) or 'none'} (e.g. `--dims '{known[0] if known else 'x'}=B,T'`)."
        )
    facts = _facts(target)
    notes: list[str] = []
    prov = axes = None
    if run_experiments:
        exps, notes = experiments.experiments(target, timeout)
        prov = provenance(trace, exps)
        axes = name_axes(trace, prov, given)
    elif target.live is not None:
        notes.append("sizes were not traced back to the inputs (`archviz doctor` or `render --doctor` does it)")
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
    """The doctor's findings for the terminal (`findings.text`: every finding, no selection)."""
    return findings.text(findings.report(examined))


def axes_text(examined: Examined) -> str:
    """`B = 3 (x dim 1: nn.LSTM 'lstm'), T = 5 (x dim 0: nn.LSTM 'lstm')` (`findings.axes_text`)."""
    assert examined.axes is not None and examined.provenance is not None
    return findings.axes_text(examined.trace, examined.provenance, examined.axes)


@dataclass
class ForRender:
    """What `render` takes from the doctor: the record with findings, the sizes to draw, its one-line hint,
    and why the doctor could not check the model (None when it could)."""

    trace: Trace
    dims: Dims | None
    hint: str | None
    failed: str | None = None
    examined: Examined | None = None


def for_render(target: Target, options: Options, path: str) -> ForRender:
    """The doctor as `render` runs it: the experiments only when the options ask for them (`--doctor`,
    `--dims`), and never in the way of the diagram — if the doctor itself fails, the record is drawn
    without it and the reason given."""
    parse_dims(options.dims)
    try:
        examined = examine(target, dims=options.dims, run_experiments=options.experiments, timeout=options.load.timeout)
    except ArchvizError:
        raise
    except Exception as exc:  # noqa: BLE001 - advice must not cost the user the diagram
        said = f"the doctor could not check this model ({type(exc).__name__}: {exc})"
        return ForRender(target.trace, None, None, said)
    dims = dims_view(examined, named=options.dims is not None)
    return ForRender(examined.trace, dims, hint(examined, path), examined=examined)
