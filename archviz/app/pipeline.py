"""From an analysed record to files: view -> DOT/SVG/PNG/PDF, drill-ins, JSON, HTML, through a sink.

`run` (app.run) calls `write` for every front end. A sink decides where the bytes go — a folder,
written atomically (`FolderSink`), or memory (`MemorySink`: `render --check`, the docs builders, the
notebook display) — never what they are. Nothing here prints or exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from ..analysis import annotate
from ..analysis.loops import rolling_for
from ..draw import dot, drill, graphviz, inner, mermaid
from ..errors import ArchvizError, TraceError, UsageError
from ..kinds import IMAGE_FORMATS, CallKind, Format, Layout
from ..record import Rolling, Trace
from ..view import Graph, lint, parse_gates
from ..view.fit import SCREENS_PX, Budget, Fitted, fit, shrink, too_big, too_tall
from ..view.focus import focused
from .files import ensure_dir, write_atomic
from .options import Options

Stage = Callable[[str], AbstractContextManager[None]]


def no_stage(name: str) -> AbstractContextManager[None]:
    """A stage that shows nothing (no progress display)."""
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Dims:
    """What the doctor learned about sizes, for the diagram and the report.

    Args:
        names: tensor id -> axis name per dim ('' for none): drawn as `[B=4, T=12, 64]` (`--dims`).
        origins: (call id, `in`/`out`, tensor index) -> where each dim's size comes from (`T`, `2·H`, `20`),
            shown in the report's panels.
        axes: one line naming the input axes and what says so, for the report.
    """

    names: tuple[tuple[str, tuple[str, ...]], ...] = ()
    origins: tuple[tuple[tuple[str, str, int], tuple[str, ...]], ...] = ()
    axes: str = ""


class Sink(Protocol):
    """Where made files go: `put` is called once per file, in a fixed order."""

    def put(self, name: str, data: bytes) -> None: ...


@dataclass
class FolderSink:
    """Files written atomically into `out` (created if needed); `paths` in the order written."""

    out: str
    paths: list[str] = field(default_factory=list)

    def put(self, name: str, data: bytes) -> None:
        if not self.paths:
            ensure_dir(self.out)  # made with the first file: a run that fails before leaves no empty folder
        self.paths.append(write_atomic(os.path.join(self.out, name), data))


@dataclass
class MemorySink:
    """Files kept in memory, by file name, in the order made."""

    files: dict[str, bytes] = field(default_factory=dict)

    def put(self, name: str, data: bytes) -> None:
        self.files[name] = data


def with_gates(trace: Trace, options: Options, rolling: Rolling | None = None) -> Trace:
    """Run the cell analysis, also opening the module paths named in `options.gates`.

    A path that names no module of this forward pass is a usage error that lists the cells there are.
    """
    paths = parse_gates(options.gates)[1]
    annotated = annotate(trace, paths, rolling)
    called = {c.name for c in trace.calls if c.kind == CallKind.MODULE and c.name}
    unknown = [p for p in paths if p not in called]
    if unknown:
        cells = sorted({c.path for c in annotated.cells})
        there = f"its recurrent cells are {', '.join(cells)}" if cells else "it has no recurrent cell"
        raise UsageError(
            f"--gates {', '.join(unknown)}: no module of that path ran in {trace.model_name}'s forward pass; "
            f"{there} (give module paths as printed in the diagram, e.g. `--gates {cells[0] if cells else 'rnn'}`)."
        )
    return annotated


def write(
    trace: Trace,
    rolling: Rolling,
    stem: str,
    options: Options,
    sink: Sink,
    stage: Stage = no_stage,
    dims: Dims = Dims(),
) -> list[str]:
    """Make the diagram, its drill-ins, the record and the report of `trace` in `options.formats`; put
    each file into `sink`. Returns the notes for the user (a smaller view drawn than asked for).

    Args:
        trace: the record, with its cells and findings.
        rolling: its loops (`analysis.loops.rolling_for`), found once by the caller.
        stem: file name stem (`gru`, `gru.build_builtin`), already safe.
        options: formats and view.
        sink: where the files go.
        stage: context-manager factory told each stage's name (`laying out`, `writing`), for progress.
        dims: the doctor's axis names and size origins.
    """
    if options.focus is not None:  # that module's inside as a record of its own, with its own loops
        trace = focused(trace, options.focus)
        rolling = rolling_for(trace)
    budget = Budget(max_nodes=options.max_nodes)
    view = dataclasses.replace(options.view(), names=dims.names)
    if options.depth is None and not options.unroll and view.direction == Layout.TB:  # the automatic view
        budget = dataclasses.replace(budget, max_height_px=SCREENS_PX)
    with stage("choosing the view"):
        fitted = fit(trace, view, budget, rolling)
    files = _Files(sink, options.formats, stage)
    notes: list[str] = []
    image = next((f for f in IMAGE_FORMATS if f in options.formats), Format.SVG)
    drills = drill.drill_ins(trace, stem, image, options.theme)
    drills_laid = files.start_svgs([d.name for d in drills], [d.dot for d in drills])  # beside the main layout
    g, dot_text, main_svg = _main_diagram(trace, fitted, budget, stem, options, image, files, notes)
    files.text(stem, Format.DOT, dot_text)
    if Format.MERMAID in options.formats:
        sink.put(f"{stem}.mmd", mermaid.to_mermaid(g).encode("utf-8"))
    if Format.JSON in options.formats:
        files.text(stem, Format.JSON, trace.to_json())
    svgs = {stem: files.diagram(stem, dot_text, keep_dot=False, svg=main_svg)}
    insides = inner.insides(trace, g, view, options.theme) if Format.HTML in options.formats else []
    insides_laid = files.start_svgs([], [i.dot for i in insides])  # the report's: no files of their own
    with stage(f"laying out {len(drills) + len(insides)} drill-in diagrams"):
        laid = drills_laid() + insides_laid()
    for d, svg in zip(drills, laid, strict=False):
        svgs[d.name] = files.diagram(d.name, d.dot, keep_dot=True, svg=svg)
    if Format.HTML in options.formats:
        from ..draw import html  # jinja2 is only needed for the report

        with stage("writing the report"):
            shown = {k: v for k, v in svgs.items() if v}
            opened = [(i, svg) for i, svg in zip(insides, laid[len(drills) :], strict=True) if svg]
            page = html.render_report(
                trace, g, stem, shown, rolling, notes=notes, axes=dims.axes, origins=dict(dims.origins), insides=opened
            )
        files.text(stem, Format.HTML, page)
    return notes


def _main_diagram(
    trace: Trace,
    fitted: Fitted,
    budget: Budget,
    stem: str,
    options: Options,
    image: Format,
    files: _Files,
    notes: list[str],
) -> tuple[Graph, str, str]:
    """The main view, its DOT and its SVG: laid out once, and again smaller while the picture is too big."""
    while True:
        problems = lint(fitted.graph)
        if problems:
            raise TraceError(
                f"{stem}: archviz built an inconsistent diagram ({'; '.join(problems[:3])}); please report this."
            )
        g = fitted.graph
        dot_text = dot.to_dot(g, theme=options.theme, links=drill.links(trace, g, stem, image))
        svg = files.layout(stem, dot_text, Format.SVG).decode("utf-8") if files.draws_images else ""
        size = _svg_size(svg)
        big = too_big(*size, budget) if size else None
        why = big or (too_tall(*size, budget) if size else None)
        height_only = big is None
        smaller = shrink(trace, fitted, why, budget, height_only) if why else None
        if smaller is None:
            notes += [fitted.note] if fitted.note else []
            if why:
                notes.append(f"{why}; no smaller view was left to draw.")
            return g, dot_text, svg
        fitted = smaller


def _svg_size(svg: str) -> tuple[float, float] | None:
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg[:2000])
    return (float(m[1]), float(m[2])) if m else None


@dataclass
class _Files:
    """Puts one render's files into a sink, in the formats asked for."""

    sink: Sink
    formats: tuple[Format, ...]
    stage: Stage

    @property
    def draws_images(self) -> bool:
        return any(f in self.formats for f in (*IMAGE_FORMATS, Format.HTML))

    def text(self, name: str, fmt: Format, text: str | bytes) -> None:
        if fmt in self.formats:
            self.sink.put(f"{name}.{fmt}", text.encode("utf-8") if isinstance(text, str) else text)

    def layout(self, name: str, dot_text: str, fmt: Format) -> bytes:
        """Lay out `dot_text` as `fmt`; when Graphviz is missing or fails, keep the diagram's source."""
        try:
            with self.stage(f"laying out {name}.{fmt}"):
                return graphviz.render(dot_text, fmt)
        except ArchvizError:
            if Format.DOT not in self.formats:
                self.sink.put(f"{name}.dot", dot_text.encode("utf-8"))
            raise

    def start_svgs(self, names: list[str], dot_texts: list[str]) -> Callable[[], list[str | None]]:
        """Start laying out several diagrams (a Graphviz process each) when any SVG is wanted; the function
        returned waits for their SVGs (None each, when no SVG is wanted). On a failure the diagrams named in
        `names` keep their DOT source as files."""
        if not dot_texts or not (Format.SVG in self.formats or Format.HTML in self.formats):
            return lambda: [None] * len(dot_texts)
        wait = graphviz.start_svgs(dot_texts)

        def laid() -> list[str | None]:
            try:
                return list(wait())
            except ArchvizError:
                if Format.DOT not in self.formats:
                    for name, text in zip(names, dot_texts, strict=False):
                        self.sink.put(f"{name}.dot", text.encode("utf-8"))
                raise

        return laid

    def diagram(self, name: str, dot_text: str, keep_dot: bool, svg: str | None = None) -> str:
        """Make one diagram in every image format asked for; return its SVG ('' if not made)."""
        if keep_dot:
            self.text(name, Format.DOT, dot_text)
        made = ""
        for fmt in IMAGE_FORMATS:
            if fmt not in self.formats and not (fmt == Format.SVG and Format.HTML in self.formats):
                continue
            if fmt == Format.SVG:
                made = svg if svg else self.layout(name, dot_text, fmt).decode("utf-8")
                self.text(name, fmt, made)
            else:
                self.text(name, fmt, self.layout(name, dot_text, fmt))
        return made
