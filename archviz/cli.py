"""The `archviz` command: orchestrates load -> trace -> graph -> dot, writes files, maps errors to exit codes."""

from __future__ import annotations

import dataclasses
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from . import dot, drill, graph, loader
from . import gates as gate_stage
from .errors import ArchvizError, LoadError, TraceError, UsageError
from .files import ensure_dir, write_atomic
from .record import Trace, shape_text

FORMATS = ("svg", "png", "pdf", "dot", "json")
# torch warns at import when NumPy is absent; archviz never needs NumPy, so the warning is noise here.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
F = TypeVar("F", bound=Callable[..., Any])


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
) -> Target:
    """Load `path` (model mode, or script mode when it defines no model) and trace one forward pass."""
    from . import tracer  # torch import is slow; `--help` stays fast

    path = loader.check_path(path)
    stem = _safe_stem(os.path.splitext(os.path.basename(path))[0] + (f".{model}" if model else ""))
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
                    found = loader.load(path, model=model, inputs=inputs, vocab=vocab)
                except LoadError as exc:
                    load_error = exc
            if load_error is not None:
                if capture.trace is not None and capture.trace.failure is not None:
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
            return Target(capture.trace, stem)
        if script_error is not None:
            raise script_error
        if found is not None and capture.seen == 0:
            raise found.error
        raise LoadError(
            f"{name}: running it as a script made {capture.seen} top-level nn.Module "
            f"call(s), so there is no call number {call} to record (--call)."
        )


def _safe_stem(text: str) -> str:
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


def _handle_errors(fn: F) -> F:
    """Turn ArchvizErrors into one-paragraph messages and exit codes; --debug shows tracebacks."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except ArchvizError as exc:
            if debug:
                traceback.print_exc()
            click.echo(f"archviz: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("archviz: interrupted; hooks were removed and no partial file was written.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in archviz: say so, keep the traceback for --debug
            if debug:
                traceback.print_exc()
            click.echo(
                f"archviz: internal error: {type(exc).__name__}: {exc}. Run again with --debug and report the traceback.",
                err=True,
            )
            sys.exit(1)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UsageError(f"--format {text!r}: unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}.")
    return chosen


def _loading_options(fn: F) -> F:
    for option in reversed(
        [
            click.argument("path", type=click.Path(dir_okay=True, path_type=str)),
            click.option("--model", "model", metavar="NAME", help="Name in the file: a module, a class or a builder function."),
            click.option("--input", "inputs", multiple=True, metavar="SPEC", help="Input tensor, e.g. 3x5x10, long:8x20 (repeatable)."),
            click.option("--vocab", default=100, show_default=True, help="Upper bound for random integer inputs."),
            click.option("--script", is_flag=True, help="Run the file as a script and record its first module call."),
            click.option("--call", "call", default=1, show_default=True, help="In script mode, record the N-th top-level call."),
            click.option("--debug", is_flag=True, help="Show full tracebacks, for bug reports."),
        ]
    ):
        fn = option(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archviz")
def main() -> None:
    """Trace a real forward pass of a PyTorch model and draw it.

    archviz runs the model file you give it, as `python model.py` would.
    """


@main.command()
@_loading_options
@click.option("-o", "--out", "out", default="archviz-out", show_default=True, help="Output folder.")
@click.option("--format", "formats", default="svg", show_default=True, help="Comma list of svg,png,pdf,dot,json.")
@click.option("--depth", type=int, default=None, help="Collapse modules deeper than N into one node.")
@click.option("--unroll", is_flag=True, help="Draw every loop step instead of one rolled step.")
@click.option("--ops", type=click.Choice(["default", "all"]), default="default", show_default=True, help="Which ops to draw.")
@click.option("--direction", type=click.Choice(["TB", "LR"], case_sensitive=False), default="TB", show_default=True)
@click.option("--theme", type=click.Choice(["light", "dark", "transparent"]), default="light", show_default=True)
@click.option("--max-nodes", default=400, show_default=True, help="Above this, collapse depth automatically.")
@click.option(
    "--gates", default="auto", show_default=True, metavar="auto|all|none|PATH,...",
    help="Recurrent cells drawn open: auto (custom cells), all (also nn.LSTM/GRU/RNN), none, or module paths.",
)  # fmt: skip
@_handle_errors
def render(
    path: str, model: str | None, inputs: tuple[str, ...], vocab: int, script: bool, call: int, debug: bool,
    out: str, formats: str, depth: int | None, unroll: bool, ops: str, direction: str, theme: str, max_nodes: int,
    gates: str,
) -> None:  # fmt: skip
    """Trace PATH's model and write its diagram (svg by default) into the output folder."""
    chosen = _formats(formats)
    if depth is not None and depth < 0:
        raise UsageError(f"--depth {depth}: the depth must be 0 or more.")
    target = trace_file(path, model=model, inputs=inputs, vocab=vocab, script=script, call=call)
    opened = tuple(p for p in gates.split(",") if p not in ("auto", "all", "none"))
    trace = gate_stage.annotate(target.trace, opened)
    view = graph.View(depth=depth, unroll=unroll, ops=ops, direction=direction.upper(), gates=gates)
    g, note = fit(trace, view, max_nodes)
    if note:
        click.echo(f"archviz: {note}", err=True)
    problems = graph.lint(g)
    if problems:
        raise TraceError(f"{path}: archviz built an inconsistent diagram ({'; '.join(problems[:3])}); please report this.")
    ensure_dir(out)
    image = next((f for f in ("svg", "png", "pdf") if f in chosen), "svg")
    dot_text = dot.to_dot(g, theme=theme, links=drill.links(trace, g, target.stem, image))
    base = os.path.join(out, target.stem)
    written: list[str] = []
    if "dot" in chosen:
        written.append(write_atomic(base + ".dot", dot_text))
    if "json" in chosen:
        written.append(write_atomic(base + ".json", trace.to_json()))
    diagrams = [(base, dot_text)] + [(os.path.join(out, d.name), d.dot) for d in drill.drill_ins(trace, target.stem, image)]
    for where, text in diagrams:
        if "dot" in chosen and where != base:
            written.append(write_atomic(where + ".dot", text))
        for fmt in ("svg", "png", "pdf"):
            if fmt in chosen:
                try:
                    data = dot.render(text, fmt)
                except ArchvizError:  # keep the diagram's source when Graphviz is missing or fails
                    if "dot" not in chosen:
                        written.append(write_atomic(where + ".dot", text))
                    raise
                written.append(write_atomic(f"{where}.{fmt}", data))
    for p in written:
        click.echo(p)
    if trace.failure is not None:
        click.echo("archviz: " + failure_message(trace, written), err=True)
        sys.exit(1)
    empty = no_output_message(trace)
    if empty:
        click.echo(f"archviz: error: {empty}", err=True)
        sys.exit(1)


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


@main.command()
@_loading_options
@click.option("--depth", type=int, default=4, show_default=True, help="Depth of the torchinfo table.")
@_handle_errors
def summary(
    path: str, model: str | None, inputs: tuple[str, ...], vocab: int, script: bool, call: int, debug: bool, depth: int
) -> None:
    """Print the torchinfo table of PATH's model with the same model and inputs as `render`."""
    import torchinfo

    path = loader.check_path(path)
    with loader.user_path(path):
        found = loader.load(path, model=model, inputs=inputs, vocab=vocab)
        if not isinstance(found, loader.Loaded):
            raise found.error
        try:
            stats = torchinfo.summary(
                found.model, input_data=list(found.args), depth=depth, verbose=0,
                col_names=("input_size", "output_size", "num_params"), **found.kwargs,
            )  # fmt: skip
        except Exception as exc:
            raise TraceError(f"{os.path.basename(path)}: torchinfo could not summarise {found.name}: {exc}") from exc
    click.echo(str(stats))
