"""The stages run end to end: file -> trace -> gates -> view -> files. Shared by the CLI, the API and Sphinx.

Nothing here prints or exits: callers get the written paths, notes and the trace, and decide.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from . import dot, drill, graph, loader
from . import gates as gate_stage
from .errors import ArchvizError, LoadError, TraceError, UsageError
from .files import ensure_dir, write_atomic
from .record import Trace, shape_text

FORMATS = ("svg", "png", "pdf", "dot", "json", "html")
Stage = Callable[[str], AbstractContextManager[None]]


def _no_stage(name: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Options:
    """How to draw and what to write; the CLI's options, as plain data.

    Args:
        formats: any of svg, png, pdf, dot, json, html.
        depth, unroll, ops, direction, gates: the view (see `graph.View`).
        theme: `light`, `dark` or `transparent` diagram background.
        max_nodes: above this many nodes, collapse depth (and roll loops) automatically.
    """

    formats: tuple[str, ...] = ("svg", "html")
    depth: int | None = None
    unroll: bool = False
    ops: str = "default"
    direction: str = "TB"
    gates: str = "auto"
    theme: str = "light"
    max_nodes: int = 400

    def view(self) -> graph.View:
        """The view these options ask for."""
        return graph.View(depth=self.depth, unroll=self.unroll, ops=self.ops, direction=self.direction.upper(), gates=self.gates)


@dataclass
class Written:
    """What `write` produced: file paths in order, and notes for the user (auto-collapse)."""

    paths: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trace: Trace | None = None


def parse_formats(text: str) -> tuple[str, ...]:
    """`svg,png` -> ("svg", "png"); a usage error naming unknown formats."""
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UsageError(f"--format {text!r}: unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}.")
    return chosen


def with_gates(trace: Trace, options: Options) -> Trace:
    """Run the gates stage, opening the module paths named in `options.gates`."""
    opened = tuple(p.strip() for p in options.gates.split(",") if p.strip() not in ("auto", "all", "none", ""))
    return gate_stage.annotate(trace, opened)


def write(trace: Trace, stem: str, out: str, options: Options, stage: Stage = _no_stage) -> Written:
    """Write the diagram, its drill-ins, the record and the report for `trace` into `out`.

    Args:
        trace: the record (gates are added here if it has none yet).
        stem: file name stem (`gru`, `gru.build_builtin`).
        out: output folder, created if needed.
        options: formats and view.
        stage: context-manager factory told each stage's name (`laying out`, `writing`), for progress.
    """
    if options.depth is not None and options.depth < 0:
        raise UsageError(f"--depth {options.depth}: the depth must be 0 or more.")
    stem = safe_stem(stem)
    with stage("finding gates and loops"):
        trace = with_gates(trace, options) if not trace.cells else trace
        g, note = fit(trace, options.view(), options.max_nodes)
    result = Written(notes=[note] if note else [], trace=trace)
    problems = graph.lint(g)
    if problems:
        raise TraceError(f"{stem}: archviz built an inconsistent diagram ({'; '.join(problems[:3])}); please report this.")
    ensure_dir(out)
    chosen = options.formats
    image = next((f for f in ("svg", "png", "pdf") if f in chosen), "svg")
    dot_text = dot.to_dot(g, theme=options.theme, links=drill.links(trace, g, stem, image))
    base = os.path.join(out, stem)
    written = result.paths
    if "dot" in chosen:
        written.append(write_atomic(base + ".dot", dot_text))
    if "json" in chosen:
        written.append(write_atomic(base + ".json", trace.to_json()))
    extra = drill.drill_ins(trace, stem, image)
    svgs: dict[str, str] = {}
    for where, text in [(base, dot_text)] + [(os.path.join(out, d.name), d.dot) for d in extra]:
        if "dot" in chosen and where != base:
            written.append(write_atomic(where + ".dot", text))
        for fmt in ("svg", "png", "pdf"):
            if fmt not in chosen and not (fmt == "svg" and "html" in chosen):
                continue
            try:
                with stage(f"laying out {os.path.basename(where)}.{fmt}"):
                    data = dot.render(text, fmt)
            except ArchvizError:  # keep the diagram's source when Graphviz is missing or fails
                if "dot" not in chosen:
                    written.append(write_atomic(where + ".dot", text))
                raise
            if fmt == "svg":
                svgs[os.path.basename(where)] = data.decode("utf-8")
            if fmt in chosen:
                written.append(write_atomic(f"{where}.{fmt}", data))
    if "html" in chosen:
        from . import htmlreport  # jinja2 is only needed for the report

        with stage("writing the report"):
            page = htmlreport.render_report(trace, g, stem, svgs, notes=result.notes)
        written.append(write_atomic(base + ".html", page))
    return result


@dataclass
class Target:
    """A traced model file: the record and the stem its output files are named after."""

    trace: Trace
    stem: str


def trace_file(
    path: str,
    *,
    model: str | None = None,
    inputs: tuple[str, ...] = (),
    vocab: int = 100,
    script: bool = False,
    call: int = 1,
    grad: bool = False,
    device: str | None = None,
) -> Target:
    """Load `path` (model mode, or script mode when it defines no model) and trace one forward pass."""
    from . import tracer  # torch is imported only when a model is traced

    path = loader.check_path(path)
    stem = safe_stem(os.path.splitext(os.path.basename(path))[0] + (f".{model}" if model else ""))
    root = os.path.dirname(path)
    name = os.path.basename(path)
    with loader.user_path(path):
        found: loader.Loaded | loader.NoModel | None = None
        if not script:
            # Importing runs the file's top level; a script without a __main__ guard calls its model
            # right there, so the import itself is traced and its failure can still be drawn.
            load_error: LoadError | None = None
            with tracer.ScriptCapture(call, source_file=name, root_dir=root) as capture:
                try:
                    found = loader.load(path, model=model, inputs=inputs, vocab=vocab, device=device)
                except LoadError as exc:
                    load_error = exc
            if load_error is not None:
                if capture.trace is not None and capture.trace.failure is not None:
                    tracer.remember_exception(load_error.__cause__)
                    return Target(capture.trace, stem)
                raise load_error
            if isinstance(found, loader.Loaded):
                t = tracer.trace_model(
                    found.model, found.args, found.kwargs, name=found.name,
                    source_file=name, root_dir=root, grad=grad,
                )  # fmt: skip
                return Target(t, stem)
            if capture.trace is not None:
                return Target(capture.trace, stem)
        script_error: LoadError | None = None
        with tracer.ScriptCapture(call, source_file=name, root_dir=root) as capture:
            try:
                loader.run_script(path)
            except LoadError as exc:  # a partial trace of the failing call is still worth drawing
                script_error = exc
        if capture.trace is not None and (script_error is None or capture.trace.failure is not None):
            tracer.remember_exception(script_error.__cause__ if script_error else None)
            return Target(capture.trace, stem)
        if script_error is not None:
            raise script_error
        if isinstance(found, loader.NoModel) and capture.seen == 0:
            raise found.error
        raise LoadError(
            f"{name}: running it as a script made {capture.seen} top-level nn.Module "
            f"call(s), so there is no call number {call} to record (--call)."
        )


def safe_stem(text: str) -> str:
    """A file name that stays inside the output folder whatever the model is called."""
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text).strip(".")
    return cleaned or "model"


def no_output_message(trace: Trace) -> str | None:
    """Say so when a forward pass that did not fail returned no tensor at all."""
    if trace.failure is not None or trace.outputs:
        return None
    returned = dict(trace.meta).get("output_type", "nothing")
    return (
        f"{trace.model_class}.forward ({trace.source_file or 'model'}) returned {returned}, which holds no tensor, "
        "so the diagram has no output to show. Return a tensor, or a tuple, list or dict of tensors."
    )


def failure_message(trace: Trace, written: list[str]) -> str:
    """One paragraph saying where the forward pass failed and what was written anyway."""
    failure = trace.failure
    assert failure is not None
    where = ""
    if failure.call is not None:
        c = trace.call(failure.call)
        parent = trace.call(c.parent) if c.parent else None
        shapes = ", ".join(f"{t.path} {shape_text(t.shape)}" for t in c.inputs[:4])
        what = f"{c.type} '{c.name}'" if c.kind == "module" else f"op {c.type}"
        loc = f" ({c.source.file}:{c.source.line})" if c.source else ""
        host = f" in {parent.type}.forward" if parent else ""
        weights = ", ".join(f"{p.name} {shape_text(p.shape)}" for p in c.param_list[:2])
        where = f"{host}{loc} at {what} with inputs {shapes or 'none'}" + (f" and {weights}" if weights else "")
    tail = f" — partial diagram written to {', '.join(written)}" if written else ""
    return f"forward pass failed{where}: {failure.exc_type}: {failure.message}{tail}"


def fit(trace: Trace, view: graph.View, max_nodes: int) -> tuple[graph.Graph, str | None]:
    """Build the view; above `max_nodes`, collapse depth (and re-roll loops) until it fits, and say so."""
    g = graph.build(trace, view)
    if len(g.nodes) <= max_nodes:
        return g, None
    deepest = max((c.depth for c in trace.calls if c.kind == "module"), default=0)
    start = deepest - 1 if view.depth is None else view.depth - 1
    # An unrolled view is first rolled back up: one step drawn truthfully beats T steps collapsed.
    tries = [(view.depth, False)] if view.unroll else []
    tries += [(d, False) for d in range(start, -1, -1)]
    for d, unroll in tries:
        smaller = dataclasses.replace(view, depth=d, unroll=unroll)
        candidate = graph.build(trace, smaller)
        if len(candidate.nodes) <= max_nodes:
            how = [f"--depth {d}"] if d != view.depth else []
            how += ["loops rolled"] if unroll != view.unroll else []
            return candidate, (
                f"the diagram would have {len(g.nodes)} nodes, more than --max-nodes {max_nodes} can lay out "
                f"quickly; drawn with {' and '.join(how)} ({len(candidate.nodes)} nodes) instead."
            )
    return g, (
        f"the diagram has {len(g.nodes)} nodes (over --max-nodes {max_nodes}) even fully collapsed; "
        "layout may be slow."
    )
