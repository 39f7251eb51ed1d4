"""The `archviz` command: runs the pipeline, prints what it wrote, maps errors to exit codes.

torch is imported only when a command traces a model, so `archviz --help` and `--version` answer at once.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import click

from . import app
from .app.progress import Progress
from .errors import ArchvizError, TraceError
from .kinds import GatesMode, Layout, OpsMode, Severity, Theme
from .record.text import printable
from .version import __version__

# torch warns at import when NumPy is absent; archviz never needs NumPy, so the warning is noise here.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
F = TypeVar("F", bound=Callable[..., Any])


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it unwinds as Ctrl-C does: hooks off, temp files gone."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def _handle_errors(fn: F) -> F:
    """Turn ArchvizErrors into one-paragraph messages and exit codes; --debug shows tracebacks."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return fn(*args, **kwargs)
        except ArchvizError as exc:
            if debug:
                traceback.print_exc()
            click.echo(f"archviz: error: {printable(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except Terminated:
            click.echo("archviz: terminated (SIGTERM); hooks were removed and no half-written file was left.", err=True)
            sys.exit(143)
        except KeyboardInterrupt:
            click.echo("archviz: interrupted; hooks were removed and no half-written file was left.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in archviz: say so, keep the traceback for --debug
            if debug:
                traceback.print_exc()
            why = f"{type(exc).__name__}: {exc}"
            click.echo(f"archviz: internal error: {why}. Run again with --debug and report the traceback.", err=True)
            sys.exit(1)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


def _out(text: str, nl: bool = True) -> None:
    """Write to standard output; a reader that went away (`| head -1`) ends archviz quietly as SIGPIPE
    would (141), a stdout that cannot be written (closed by the model, a full disk) is said on stderr."""
    try:
        click.echo(text, nl=nl)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(141)
    except (OSError, ValueError) as exc:  # ValueError: the file object itself was closed
        _quiet_stdout()
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        click.echo(f"archviz: could not write to standard output ({why}); the files themselves were written.", err=True)
        sys.exit(1)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit does not fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # lives until the process ends


class _Seconds(click.FloatRange):
    """A number of seconds: finite, in range (`nan` compares false with both bounds, so it is refused here)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


def _choice(enum: type[Any]) -> click.Choice:
    return click.Choice([m.value for m in enum])


def _loading_options(fn: F) -> F:
    for option in reversed(
        [
            click.argument("path", type=click.Path(dir_okay=True, path_type=str)),
            click.option(
                "--model", "model", metavar="NAME", help="Name in the file: a module, a class or a builder function."
            ),
            click.option(
                "--input",
                "inputs",
                multiple=True,
                metavar="SPEC",
                help="Input tensor, e.g. 3x5x10, long:8x20 (repeatable).",
            ),
            click.option(
                "--vocab",
                type=click.IntRange(min=1),
                default=100,
                show_default=True,
                help="Upper bound for random integer inputs.",
            ),
            click.option("--script", is_flag=True, help="Run the file as a script and record its first module call."),
            click.option(
                "--call",
                "call",
                type=click.IntRange(min=1),
                default=1,
                show_default=True,
                help="In script mode, record the N-th top-level call.",
            ),
            click.option(
                "--device",
                default=None,
                metavar="DEVICE",
                help="Build model and inputs on DEVICE; meta = shapes only, no memory.",
            ),
            click.option(
                "--timeout",
                type=_Seconds(min=0, max=1e6, min_open=True),
                default=None,
                metavar="S",
                help="Stop the model's code after S seconds; what ran is drawn. Default: no limit.",
            ),
            click.option("--debug", is_flag=True, help="Show full tracebacks, for bug reports."),
        ]
    ):
        fn = option(fn)
    return fn


class _Group(click.Group):
    """Usage mistakes Click finds itself (an unknown option, a value out of range) read like archviz's own:
    one `archviz: error:` line and exit status 2."""

    def main(  # type: ignore[override]
        self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None, **extra: Any
    ) -> Any:
        extra.pop("standalone_mode", None)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("archviz: aborted.", err=True)
            sys.exit(1)
        except click.exceptions.NoArgsIsHelpError as exc:  # plain `archviz`: the help, as Click shows it
            click.echo(exc.format_message(), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            click.echo(f"archviz: error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, package_name="archviz")
def main() -> None:
    """Trace a real forward pass of a PyTorch model and draw it.

    archviz runs the model file you give it, as `python model.py` would.
    """


def _settle(path: str) -> None:
    """Check the model file (a wrong path is said at once), then get the process ready for one command."""
    app.check_path(path)
    app.settle_process()


def _load(params: dict[str, Any]) -> app.LoadOptions:
    """The loading options of a command's parameters (`--model`, `--input`, … `--timeout`)."""
    return app.LoadOptions(
        model=params["model"],
        inputs=params["inputs"],
        vocab=params["vocab"],
        script=params["script"],
        call=params["call"],
        device=params["device"],
        grad=params.get("grad", False),
        timeout=params["timeout"],
    )


def _render_options(params: dict[str, Any]) -> app.Options:
    """`archviz render`'s parameters as the one options value every front end builds."""
    return app.Options(
        formats=app.parse_formats(params["formats"]),
        depth=params["depth"],
        unroll=params["unroll"],
        ops=OpsMode(params["ops"]),
        direction=Layout(params["direction"].upper()),
        gates=params["gates"],
        theme=Theme(params["theme"]),
        max_nodes=params["max_nodes"],
        doctor=params["doctor"],
        dims=params["dims"],
        load=_load(params),
    )


@main.command()
@_loading_options
@click.option("-o", "--out", "out", default="archviz-out", show_default=True, help="Output folder.")
@click.option(
    "--format", "formats", default="svg,html", show_default=True, help="Comma list of svg,png,pdf,dot,json,html."
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=None,
    help="Collapse modules deeper than N into one node (0: one box).",
)
@click.option("--unroll", is_flag=True, help="Draw every loop step instead of one rolled step.")
@click.option(
    "--ops", type=_choice(OpsMode), default=OpsMode.DEFAULT.value, show_default=True, help="Which ops to draw."
)
@click.option(
    "--direction",
    type=click.Choice([m.value for m in Layout], case_sensitive=False),
    default=Layout.TB.value,
    show_default=True,
)
@click.option("--theme", type=_choice(Theme), default=Theme.LIGHT.value, show_default=True)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=400,
    show_default=True,
    help="Above this, collapse depth automatically.",
)
@click.option(
    "--gates",
    default=GatesMode.AUTO.value,
    show_default=True,
    metavar="auto|all|none|PATH,...",
    help="Recurrent cells drawn open: auto (custom cells), all (also nn.LSTM/GRU/RNN), none, or module paths.",
)
@click.option(
    "--grad",
    is_flag=True,
    help="Trace with autograd on (default: off, as under torch.no_grad(); training-only branches such as "
    "activation checkpointing then run as they do in training).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress display and no notes on stderr; errors only.")
@click.option(
    "--doctor",
    is_flag=True,
    help="Also run the model with each input axis grown, so the report says where every size comes from "
    "(as `archviz doctor` does; the model then runs more than once).",
)
@click.option(
    "--dims",
    default=None,
    metavar="auto|NAME=AXES;…",
    help="Draw shapes with axis names, [B=4, T=12, 64]: auto (from the modules) or e.g. 'input_ids=B,T' "
    "(implies --doctor).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming each file in the output folder that rendering would change or create.",
)
@_handle_errors
def render(**params: Any) -> None:
    """Trace PATH's model and write its diagram and HTML report (svg,html by default) into the output folder."""
    from .app import doctor as doctoring

    options = _render_options(params)
    doctoring.parse_dims(options.dims)  # a usage mistake is said before the model runs
    _settle(params["path"])
    progress = Progress(enabled=not params["quiet"])
    out = params["out"]
    sink: app.MemorySink | app.FolderSink = app.MemorySink() if params["check"] else app.FolderSink(out)
    result = app.run(app.Source.file(params["path"]), options, sink, stage=progress.stage)
    say = _Say(quiet=params["quiet"])
    if result.doctor_failed:
        say.note(f"{result.doctor_failed}; drawn without it")
    for note in result.notes:
        say.note(note)
    if isinstance(sink, app.MemorySink):
        _report_check(app.check(sink.files, out), out, result, params["debug"], say)
        return
    for p in sink.paths:
        _out(p)
    _exit_if_failed(result, sink.paths, params["debug"], say)
    if result.hint:
        say.note(result.hint)


class _Say:
    """Notes on stderr (`archviz: …`), none with `-q`; errors are always said."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def note(self, text: str) -> None:
        if not self.quiet:
            click.echo(f"archviz: {text}", err=True)

    def error(self, text: str) -> None:
        click.echo(f"archviz: {text}", err=True)


def _report_check(checked: app.Checked, out: str, result: app.Result, debug: bool, say: _Say) -> None:
    """`render --check`: one line per file that would change or be created; exit 1 if there is any."""
    for p in checked.changed:
        _out(f"would change: {p}")
    for p in checked.missing:
        _out(f"missing: {p}")
    counts = [f"{len(checked.changed)} would change"] if checked.changed else []
    counts += [f"{len(checked.missing)} missing"] if checked.missing else []
    click.echo(f"archviz: {', '.join([*counts, f'{len(checked.same)} up to date'])} in {out}", err=True)
    _exit_if_failed(result, [], debug, say)
    if not checked.up_to_date:
        sys.exit(1)


def _exit_if_failed(result: app.Result, written: list[str], debug: bool, say: _Say) -> None:
    """Say where the forward pass failed (or that it returned nothing), then the doctor's hint, and exit 1;
    return if it did not fail."""
    trace = result.trace
    if trace.failure is not None:
        if debug and result.exception is not None:
            click.echo("".join(traceback.format_exception(result.exception)).rstrip(), err=True)
        say.error(app.failure_message(trace, written))
        if result.hint:
            say.note(result.hint)
        sys.exit(1)
    empty = app.no_output_message(trace)
    if empty:
        say.error(f"error: {empty}")
        sys.exit(1)


@main.command()
@_loading_options
@click.option("--depth", type=click.IntRange(min=0), default=4, show_default=True, help="Depth of the torchinfo table.")
@_handle_errors
def summary(**params: Any) -> None:
    """Print the torchinfo table of PATH's model with the same model and inputs as `render`."""
    _out(app.summary_table(params["path"], _load(params), depth=params["depth"]))


@main.command()
@_loading_options
@click.option(
    "--dims",
    default=None,
    metavar="NAME=AXES;…",
    help="Name the axes of the inputs, e.g. 'input_ids=B,T' (default: from the modules, or example_dims()).",
)
@_handle_errors
def doctor(**params: Any) -> None:
    """Find shape bugs in PATH's model: where every size comes from, and what looks wrong.

    Exit 0 when nothing is found (notes allowed), 1 when a warning or error is (a failed forward pass
    is one), 2 for usage mistakes.
    """
    from .app import doctor as doctoring

    doctoring.parse_dims(params["dims"])  # a usage mistake is said before the model runs
    _settle(params["path"])
    options = app.Options(formats=(), doctor=True, dims=params["dims"], load=_load(params))
    result = app.run(app.Source.file(params["path"]), options)
    if result.examined is None:  # the doctor itself failed: here that is the command failing
        raise TraceError(result.doctor_failed or "the doctor could not check this model")
    _out(doctoring.text(result.examined), nl=False)
    if result.examined.worst in (Severity.ERROR, Severity.WARNING):
        sys.exit(1)
