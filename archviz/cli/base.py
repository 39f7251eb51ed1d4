"""The `archviz` command group and what its commands share: loading options, errors to exit codes, output.

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

from .. import app
from ..errors import ArchvizError, Terminated
from ..record.text import printable
from ..version import __version__

# torch warns at import when NumPy is absent; archviz never needs NumPy, so the warning is noise here.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
F = TypeVar("F", bound=Callable[..., Any])


GRACE_S = 3.0  # after SIGTERM, the process ends itself this long after, if the model's code caught it


_OWNER = [0]  # the process that installed the SIGTERM handler (its forked children inherit the handler)


def _on_sigterm(signum: int, frame: Any) -> None:
    """Unwind as Ctrl-C does (hooks off, temp files gone, exit 143). The model's code may catch the
    exception: then nothing more is written (`app.check_stop`), and if it runs on, a second SIGTERM or
    `GRACE_S` later ends the process at once. In a process the model forked (a `multiprocessing` worker)
    SIGTERM does what it does without archviz: the worker ends quietly."""
    if os.getpid() != _OWNER[0]:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    if app.stop_requested():
        _end(143, "terminated (SIGTERM, again)")
    app.request_stop()
    watchdog = threading.Timer(GRACE_S, _end, (143, f"terminated (SIGTERM): the model's code ran on for {GRACE_S:g} s"))
    watchdog.daemon = True
    watchdog.start()
    raise Terminated()


def _end(status: int, why: str) -> None:
    os.write(2, f"archviz: {why}; the process was ended (no half-written file is left).\n".encode())
    os._exit(status)


def handle_errors(fn: F) -> F:
    """Turn ArchvizErrors into one-paragraph messages and exit codes; --debug shows tracebacks."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        if threading.current_thread() is threading.main_thread():
            _OWNER[0] = os.getpid()
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return fn(*args, **kwargs)
        except ArchvizError as exc:
            if debug:
                err(traceback.format_exc().rstrip())
            err(f"archviz: error: {exc}")
            sys.exit(exc.exit_code)
        except Terminated:
            click.echo("archviz: terminated (SIGTERM); hooks were removed and no half-written file was left.", err=True)
            sys.exit(143)
        except KeyboardInterrupt:
            click.echo("archviz: interrupted; hooks were removed and no half-written file was left.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in archviz: say so, keep the traceback for --debug
            if debug:
                err(traceback.format_exc().rstrip())
            why = f"{type(exc).__name__}: {exc}"
            err(f"archviz: internal error: {why}. Run again with --debug and report the traceback.")
            sys.exit(1)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


def err(text: str) -> None:
    """One message on stderr, with control, bidi and zero-width characters made visible (`printable`):
    names and messages come from the model's code."""
    click.echo(printable(text), err=True)


def out(text: str | bytes, nl: bool = True) -> None:
    """Write to standard output; a reader that went away (`| head -1`) ends archviz quietly as SIGPIPE
    would (141), a stdout that cannot be written (closed by the model, a full disk) is said on stderr."""
    try:
        if sys.stdout is None:  # the shell closed it (`>&-`): Python has no stdout at all
            raise OSError(9, "standard output is closed")
        click.echo(printable(text) if isinstance(text, str) else text, nl=nl)
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


def choice(enum: type[Any]) -> click.Choice:
    return click.Choice([m.value for m in enum])


# Options every command that loads a model shares (`render`, `summary`, `doctor`), in the order --help lists them.
_LOADING_OPTIONS = [
    click.argument("path", type=click.Path(dir_okay=True, path_type=str)),
    click.option("--model", "model", metavar="NAME", help="Name in the file: a module, a class or a builder function."),
    click.option(
        "--input", "inputs", multiple=True, metavar="SPEC", help="Input tensor, e.g. 3x5x10, long:8x20 (repeatable)."
    ),
    click.option(
        "--vocab",
        type=click.IntRange(min=1, max=2**63 - 1),
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


def loading_options(fn: F) -> F:
    for option in reversed(_LOADING_OPTIONS):
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
            err(f"archviz: error: {exc.format_message()}{hint}")
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, package_name="archviz")
def main() -> None:
    """Trace a real forward pass of a PyTorch model and draw it.

    archviz runs the model file you give it, as `python model.py` would.
    """


def settle(path: str) -> None:
    """Check the model file (a wrong path is said at once), then get the process ready for one command."""
    app.check_path(path)
    app.settle_process()


def load_options(params: dict[str, Any]) -> app.LoadOptions:
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
