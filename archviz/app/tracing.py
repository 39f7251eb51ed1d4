"""A model file to a record: load it (model mode) or run it (script mode), and trace one forward pass.

`load` and `capture` import torch, so they are imported here only when a file is traced.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import signal
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import LoadError, NoInputsError, Timeout, UsageError
from ..record import Trace
from ..view.names import file_stem

if TYPE_CHECKING:
    from ..load.loader import NoModel


@dataclass
class Live:
    """The live model and the arguments it was traced with (for the doctor's experiments)."""

    model: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    namespace: dict[str, Any] = field(default_factory=dict)  # the model file's globals (example_dims)
    seconds: float | None = None  # how long its traced forward pass took, when known


@dataclass
class Target:
    """A traced model file: the record and the stem its output files are named after."""

    trace: Trace
    stem: str
    live: Live | None = None
    path: str = ""  # the model file (absolute)


@dataclass(frozen=True)
class _Request:
    path: str
    model: str | None
    inputs: tuple[str, ...]
    vocab: int
    call: int
    grad: bool
    device: str | None
    kept: list[Live] = field(default_factory=list, compare=False)  # the live model, once found

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def root(self) -> str:
        return os.path.dirname(self.path)


def check_path(path: str | os.PathLike[str]) -> str:
    """The absolute path of a readable Python file, or a usage error naming it (imports no torch)."""
    from ..load import userfile

    return userfile.check_path(path)


def trace_file(
    path: str | os.PathLike[str],
    *,
    model: str | None = None,
    inputs: tuple[str, ...] = (),
    vocab: int = 100,
    script: bool = False,
    call: int = 1,
    grad: bool = False,
    device: str | None = None,
    timeout: float | None = None,
) -> Target:
    """Load `path` (model mode, or script mode when it defines no model) and trace one forward pass.

    Args:
        path: the model file.
        model, inputs, vocab, device: as `--model`, `--input`, `--vocab` and `--device`.
        script: run the file as `__main__` and record its `call`-th top-level module call.
        grad: trace with autograd on.
        timeout: stop the model's code after this many seconds (importing, building and the forward
            pass together): what ran is drawn, and the failure says where it was.
    """
    from ..load import userfile

    path = check_path(path)  # before torch: a wrong path is reported at once
    request = _Request(path, model, inputs, vocab, call, grad, device)
    stem = file_stem(path, model)
    if timeout:
        from .. import capture  # noqa: F401 - torch imported before the clock starts: it is archviz's time
        from ..load import loader  # noqa: F401
    with userfile.user_path(path), process_kept(), time_limit(timeout):
        no_model = None
        if not script:
            traced = _model_mode(request)
            if isinstance(traced, Trace):
                return Target(traced, stem, request.kept[-1] if request.kept else None, path)
            no_model = traced
        traced = _script_mode(request, no_model)
        return Target(traced, stem, request.kept[-1] if request.kept else None, path)


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_spec = importlib.util.find_spec("torch")  # found, not imported: --help stays fast
_LIBRARY = (
    os.path.dirname(_spec.origin) + os.sep if _spec and _spec.origin else "\0",
    os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep,
    "<",  # frozen modules, and code made at run time (a dataclass's __init__ is `<string>`)
)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `Timeout` in the model's code once `seconds` have passed (SIGALRM; main thread only).

    The exception is raised only where the user's code runs: if the alarm arrives while archviz's own
    hooks are at work (a frame of archviz's package before any user frame), it is put off by 10 ms, so
    the record is never left half-written.
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        raise UsageError("--timeout needs a platform with SIGALRM and archviz running in the main thread.")

    def fire(signum: int, frame: FrameType | None) -> None:
        f = frame
        while f is not None and f.f_code.co_filename.startswith(_LIBRARY):
            f = f.f_back  # torch's or Python's own code, called by whoever is below
        if f is not None and f.f_code.co_filename.startswith(_PACKAGE):
            signal.setitimer(signal.ITIMER_REAL, 0.01)  # inside archviz: try again in a moment
            return
        raise Timeout(f"stopped after {seconds:g} s (--timeout)")

    before = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


@contextlib.contextmanager
def process_kept() -> Iterator[None]:
    """Undo what a model file may do to the process around it: `os.chdir`, replacing or closing
    `sys.stdout`/`sys.stderr`. archviz's own messages and files then go where the user asked."""
    cwd = os.getcwd()
    streams = sys.stdout, sys.stderr
    try:
        yield
    finally:
        if os.getcwd() != cwd:
            with contextlib.suppress(OSError):
                os.chdir(cwd)
        sys.stdout, sys.stderr = (_usable(s, fd) for s, fd in zip(streams, (1, 2), strict=True))


def _usable(stream: TextIO, fd: int) -> TextIO:
    """`stream`, or a new writer on the same file descriptor when the model closed it."""
    if stream is not None and not stream.closed:
        return stream
    try:
        return io.TextIOWrapper(open(os.dup(fd), "wb"), encoding="utf-8", errors="replace", line_buffering=True)
    except OSError:  # the descriptor itself is gone: say nothing rather than fail
        return io.TextIOWrapper(open(os.devnull, "wb"), encoding="utf-8")


def _model_mode(r: _Request) -> Trace | NoModel:
    """Import the file, find its model and inputs, trace; NoModel when the file defines no model.

    Importing runs the file's top level; a script without a `__main__` guard calls its model right
    there, so the import itself is recorded: its failure can still be drawn, and when the file defines
    no model, that call is the one drawn.
    """
    from .. import capture  # torch is imported only when a model is traced
    from ..load import loader

    load_error: LoadError | None = None
    found: loader.Loaded | loader.NoModel | None = None
    with capture.ScriptCapture(r.call, source_file=r.name, root_dir=r.root) as during_import:
        try:
            found = loader.load(r.path, model=r.model, inputs=r.inputs, vocab=r.vocab, device=r.device)
        except LoadError as exc:
            load_error = exc
            during_import.failed(exc.__cause__)  # a call the file's top level made: where it raised
    if load_error is not None:
        if during_import.trace is not None and during_import.trace.failure is not None:
            capture.remember_exception(load_error.__cause__)
            return during_import.trace
        if during_import.trace is not None and isinstance(load_error, NoInputsError):
            return during_import.trace  # a pasted script: build, make inputs, call — that call is drawn
        done = load_error.__cause__
        if during_import.trace is not None and isinstance(done, SystemExit) and done.code in (None, 0):
            return during_import.trace  # a script that ends with sys.exit(0) after its model call
        raise load_error
    if during_import.called is not None:
        r.kept.append(Live(during_import.called[0], during_import.called[1], {}))
    if isinstance(found, loader.Loaded):
        live = Live(found.model, found.args, found.kwargs, found.namespace)
        r.kept.append(live)
        started = time.perf_counter()
        traced = capture.trace_model(
            found.model, found.args, found.kwargs, name=found.name, source_file=r.name, root_dir=r.root, grad=r.grad
        )
        live.seconds = time.perf_counter() - started
        return traced
    assert found is not None
    return during_import.trace if during_import.trace is not None else found


def _script_mode(r: _Request, no_model: NoModel | None) -> Trace:
    """Run the file as `__main__` and return the record of its `call`-th top-level module call."""
    from .. import capture
    from ..load import userfile

    script_error: LoadError | None = None
    with capture.ScriptCapture(r.call, source_file=r.name, root_dir=r.root) as running:
        try:
            userfile.run_script(r.path)
        except LoadError as exc:  # a partial trace of the failing call is still worth drawing
            script_error = exc
            running.failed(exc.__cause__)
    if running.called is not None:
        r.kept.append(Live(running.called[0], running.called[1], {}))
    if running.trace is not None and (script_error is None or running.trace.failure is not None):
        capture.remember_exception(script_error.__cause__ if script_error else None)
        return running.trace
    if script_error is not None:
        raise script_error
    if no_model is not None and running.seen == 0:
        raise no_model.error
    raise no_such_call(r.name, running.seen, r.call)


def no_such_call(name: str, seen: int, call: int) -> LoadError:
    """The error for `--call N` when the script made fewer top-level module calls."""
    return LoadError(
        f"{name}: running it as a script made {seen} top-level nn.Module "
        f"call(s), so there is no call number {call} to record (--call)."
    )


def last_exception() -> BaseException | None:
    """The exception behind the last failed forward pass traced in this thread (for --debug)."""
    from .. import capture

    return capture.last_exception()


def trace_live(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any], grad: bool = False) -> Trace:
    """Trace `model(*args, **kwargs)` once (an nn.Module already built, e.g. in a notebook)."""
    from .. import capture

    return capture.trace_model(model, args, kwargs, name=type(model).__name__, grad=grad)
