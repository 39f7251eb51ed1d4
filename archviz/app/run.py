"""The one path every front end takes: a model (file, live module or record) and an `Options` in, a
`Result` out — traced once, analysed once, checked by the doctor, drawn into a sink.

    CLI render/doctor ─┐
    api.trace/render ──┤
    Sphinx directive ──┼─▶ Options ─▶ run(source, options, sink) ─▶ Result (+ files in the sink)
    MkDocs plugin ─────┤
    notebook display ──┘

What a file contains depends on the model and the options alone: no clock, load or thread count
decides it, and paths on the machine that made it are written relative to the model's folder.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..analysis.loops import rolling_for
from ..record import Trace
from ..view.names import safe_stem
from .options import Options
from .pipeline import Dims, MemorySink, Sink, Stage, no_stage, with_gates, write
from .tracing import Live, Target, caught_notes, check_stop, trace_file, trace_live

if TYPE_CHECKING:  # the doctor's rules are imported when a model is checked, not by `archviz --help`
    from . import doctor as doctoring


@dataclass(frozen=True)
class Source:
    """What to draw: a model file, a live module with its arguments, or a record made before.

    Build one with `Source.file`, `Source.live` or `Source.of`.
    """

    path: str | None = None
    model: Any = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    record: Trace | None = None

    @classmethod
    def file(cls, path: str | os.PathLike[str]) -> Source:
        """A model file, run as `archviz render` runs it."""
        return cls(path=os.fspath(path))

    @classmethod
    def live(cls, model: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> Source:
        """An nn.Module already built, called once with `args` and `kwargs`."""
        return cls(model=model, args=args, kwargs=dict(kwargs or {}))

    @classmethod
    def of(cls, record: Trace) -> Source:
        """A record (from `archviz.trace`, or read back from JSON)."""
        return cls(record=record)


@dataclass
class Result:
    """What one run made.

    Args:
        trace: the record as drawn: cells, findings, paths relative to the model's folder.
        stem: the output files' stem.
        notes: what the user should be told (a smaller view drawn than asked for).
        hint: the doctor's one line when it found a warning or an error.
        doctor_failed: why the doctor could not check the model (the diagram was drawn without it).
        exception: what the forward pass raised, when it failed (for `--debug` and `strict`).
        examined: the doctor's full result (findings, axes, provenance), for `archviz doctor`.
        path: the model file, when the source was one.
    """

    trace: Trace
    stem: str
    notes: list[str] = field(default_factory=list)
    hint: str | None = None
    doctor_failed: str | None = None
    exception: BaseException | None = None
    examined: doctoring.Examined | None = None
    path: str = ""


def run(source: Source, options: Options, sink: Sink | None = None, stage: Stage = no_stage) -> Result:
    """Trace `source` once, analyse it, let the doctor check it, and put the files `options` asks for
    into `sink` (default: kept in memory and dropped; pass a `MemorySink` to read them).

    Args:
        source: the model to draw.
        options: everything that decides the files (see `Options`).
        sink: where the files go (`FolderSink(out)` writes them atomically).
        stage: context-manager factory told each stage's name, for progress displays.
    """
    with stage("tracing"):
        target = _traced(source, options)
        if target.live is not None:
            from ..capture.inventory import with_inventory  # torch is loaded: a model ran

            target.trace = with_inventory(target.trace, target.live.model)
    check_stop()  # SIGTERM while the model ran, whatever its code caught: nothing is written
    with stage("finding gates and loops"):
        rolling = rolling_for(target.trace)
        if not target.trace.cells:
            target.trace = with_gates(target.trace, options, rolling)  # `--gates` paths checked and opened
    with stage("checking sizes"):
        checked = _doctor(source, target, options)
    target.live = None  # not needed past the doctor: a model file's model is freed before the files are made
    check_stop()
    trace = public_paths(checked.trace, target.path)
    # `--focus` writes beside the whole model's files, not over them: `model.encoder.layers.3.svg`
    focus = f".{options.focus}" if options.focus and not options.name else ""
    stem = safe_stem(options.name or target.stem + focus)
    notes = caught_notes()
    if options.formats:
        notes += write(trace, rolling, stem, options, sink or MemorySink(), stage, checked.dims or Dims())
    return Result(trace, stem, notes, checked.hint, checked.failed, target.exception, checked.examined, target.path)


def _traced(source: Source, options: Options) -> Target:
    """Run the model once (or take the record as it is)."""
    if source.record is not None:
        return Target(source.record, safe_stem(source.record.model_name))
    if source.path is not None:
        return trace_file(source.path, options.load)
    return trace_live(source.model, source.args, source.kwargs, grad=options.load.grad)


def _doctor(source: Source, target: Target, options: Options) -> doctoring.ForRender:
    """The doctor's verdict: a record made before keeps the findings it has."""
    from . import doctor as doctoring

    if source.record is not None and source.record.findings:
        return doctoring.ForRender(target.trace, None, None)
    return doctoring.for_render(target, options, source.path or "model.py")  # the hint names it as given


# An absolute path left in a message: POSIX or Windows, up to the file name it ends in.
_ABSOLUTE = re.compile(r"(?<![\w.:/\\-])(?:/|[A-Za-z]:\\)(?:[^\s/\\'\"]+[/\\])+(?=[^\s/\\'\"])")


def public_text(text: str, folder: str) -> str:
    """`text` with paths under the model's `folder` written relative to it, and any other absolute path
    cut to its file name: what a file shows never depends on where the model lay on the machine."""
    if folder:
        text = text.replace(folder.rstrip(os.sep) + os.sep, "")
    return _ABSOLUTE.sub("", text)


def public_paths(trace: Trace, path: str) -> Trace:
    """`trace` with the failure's text, the calls' errors and the findings' words made by `public_text`."""
    folder = os.path.dirname(path) if path else ""

    def public(text: str) -> str:
        return public_text(text, folder)

    calls = tuple(dataclasses.replace(c, error=public(c.error)) if c.error else c for c in trace.calls)
    failure = trace.failure and dataclasses.replace(trace.failure, message=public(trace.failure.message))
    findings = tuple(dataclasses.replace(f, title=public(f.title), seen=public(f.seen)) for f in trace.findings)
    if calls == trace.calls and failure == trace.failure and findings == trace.findings:
        return trace  # the same record, with the index it has already built
    return dataclasses.replace(trace, calls=calls, failure=failure, findings=findings)


__all__ = ["Live", "Result", "Source", "public_paths", "public_text", "run"]
