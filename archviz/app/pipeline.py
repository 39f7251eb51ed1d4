"""The stages end to end, from a record to files: gates -> view -> DOT/SVG/PNG/PDF, JSON, HTML.

Shared by the CLI, the API and Sphinx. Nothing here prints or exits: callers get the written paths,
notes and the trace, and decide.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from ..analysis import annotate
from ..draw import dot, drill, graphviz
from ..errors import ArchvizError, TraceError, UsageError
from ..kinds import IMAGE_FORMATS, CallKind, Format, GatesMode, Layout, OpsMode, Theme
from ..record import Trace
from ..view import Graph, View, lint, parse_gates
from ..view.fit import Budget, Fitted, fit, shrink, too_big
from ..view.names import safe_stem
from .files import ensure_dir, write_atomic

Stage = Callable[[str], AbstractContextManager[None]]


def _no_stage(name: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Options:
    """How to draw and what to write; the CLI's options, as plain data.

    Args:
        formats: any of svg, png, pdf, dot, json, html.
        depth, unroll, ops, direction: the view (see `view.View`).
        gates: `--gates` text: auto, all, none, or a comma list of module paths.
        theme: `light`, `dark` or `transparent` diagram background.
        max_nodes: above this many nodes, collapse depth (and roll loops) automatically.
    """

    formats: tuple[Format, ...] = (Format.SVG, Format.HTML)
    depth: int | None = None
    unroll: bool = False
    ops: OpsMode = OpsMode.DEFAULT
    direction: Layout = Layout.TB
    gates: str = GatesMode.AUTO
    theme: Theme = Theme.LIGHT
    max_nodes: int = 400

    def view(self) -> View:
        """The view these options ask for."""
        mode, paths = parse_gates(self.gates)
        return View(
            depth=self.depth, unroll=self.unroll, ops=OpsMode(self.ops), direction=Layout(self.direction.upper()),
            gates=mode, open_paths=paths,
        )  # fmt: skip


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


@dataclass
class Written:
    """What `write` produced: file paths in order, and notes for the user (auto-collapse)."""

    paths: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trace: Trace | None = None


def parse_formats(text: str) -> tuple[Format, ...]:
    """`svg,png` -> (svg, png); a usage error naming unknown formats."""
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    known = [f.value for f in Format]
    unknown = [f for f in chosen if f not in known]
    if unknown or not chosen:
        raise UsageError(
            f"--format {text!r}: unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}."
        )
    return tuple(Format(f) for f in chosen)


def with_gates(trace: Trace, options: Options) -> Trace:
    """Run the cell analysis, also opening the module paths named in `options.gates`.

    A path that names no module of this forward pass is a usage error that lists the cells there are.
    """
    paths = parse_gates(options.gates)[1]
    annotated = annotate(trace, paths)
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
    trace: Trace, stem: str, out: str, options: Options, stage: Stage = _no_stage, dims: Dims | None = None
) -> Written:
    """Write the diagram, its drill-ins, the record and the report for `trace` into `out`.

    Args:
        trace: the record (gates are added here if it has none yet).
        stem: file name stem (`gru`, `gru.build_builtin`).
        out: output folder, created if needed.
        options: formats and view.
        stage: context-manager factory told each stage's name (`laying out`, `writing`), for progress.
        dims: the doctor's axis names and size origins, when it ran.
    """
    dims = dims or Dims()
    if options.depth is not None and options.depth < 0:
        raise UsageError(f"--depth {options.depth}: the depth must be 0 or more.")
    stem = safe_stem(stem)
    budget = Budget(max_nodes=options.max_nodes)
    with stage("finding gates and loops"):
        trace = with_gates(trace, options) if not trace.cells else trace
        fitted = fit(trace, dataclasses.replace(options.view(), names=dims.names), budget)
    result = Written(trace=trace)
    ensure_dir(out)
    files = _Files(out, options.formats, result.paths, stage)
    image = next((f for f in IMAGE_FORMATS if f in options.formats), Format.SVG)
    g, dot_text, main_svg = _main_diagram(trace, fitted, budget, stem, options, image, files, result.notes)
    files.text(stem, Format.DOT, dot_text)
    files.text(stem, Format.JSON, trace.to_json())
    svgs = {stem: files.diagram(stem, dot_text, keep_dot=False, svg=main_svg)}
    for d in drill.drill_ins(trace, stem, image, options.theme):
        svgs[d.name] = files.diagram(d.name, d.dot, keep_dot=True)
    if Format.HTML in options.formats:
        files.text(
            stem, Format.HTML, _report(trace, g, stem, {k: v for k, v in svgs.items() if v}, result.notes, stage, dims)
        )
    return result


def _main_diagram(
    trace: Trace, fitted: Fitted, budget: Budget, stem: str, options: Options, image: Format, files: _Files,
    notes: list[str],
) -> tuple[Graph, str, str]:  # fmt: skip
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
        why = too_big(*size, budget) if size else None
        smaller = shrink(trace, fitted, why, budget) if why else None
        if smaller is None:
            notes += [fitted.note] if fitted.note else []
            if why:
                notes.append(f"{why}; no smaller view was left to draw.")
            return g, dot_text, svg
        fitted = smaller


def _svg_size(svg: str) -> tuple[float, float] | None:
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg[:2000])
    return (float(m[1]), float(m[2])) if m else None


def _report(trace: Trace, g: Graph, stem: str, svgs: dict[str, str], notes: list[str], stage: Stage, dims: Dims) -> str:
    from ..draw import html  # jinja2 is only needed for the report

    with stage("writing the report"):
        return html.render_report(trace, g, stem, svgs, notes=notes, axes=dims.axes, origins=dict(dims.origins))


@dataclass
class _Files:
    """Writes one output folder's files atomically, in the formats asked for, recording their paths."""

    out: str
    formats: tuple[Format, ...]
    written: list[str]
    stage: Stage

    @property
    def draws_images(self) -> bool:
        return any(f in self.formats for f in (*IMAGE_FORMATS, Format.HTML))

    def text(self, name: str, fmt: Format, text: str | bytes) -> None:
        if fmt in self.formats:
            self.written.append(write_atomic(os.path.join(self.out, f"{name}.{fmt}"), text))

    def layout(self, name: str, dot_text: str, fmt: Format) -> bytes:
        """Lay out `dot_text` as `fmt`; when Graphviz is missing or fails, keep the diagram's source."""
        try:
            with self.stage(f"laying out {name}.{fmt}"):
                return graphviz.render(dot_text, fmt)
        except ArchvizError:
            if Format.DOT not in self.formats:
                self.written.append(write_atomic(os.path.join(self.out, f"{name}.dot"), dot_text))
            raise

    def diagram(self, name: str, dot_text: str, keep_dot: bool, svg: str | None = None) -> str:
        """Write one diagram in every image format asked for; return its SVG ('' if not made)."""
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
