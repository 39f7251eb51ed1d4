"""A model file to a record: load it (model mode) or run it (script mode), and trace one forward pass.

`load` and `capture` import torch, so they are imported here only when a file is traced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import importlib.util
import io
import os
import signal
import sys
import sysconfig
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import LoadError, NoInputsError, Terminated, Timeout, UsageError
from ..record import Trace
from ..view.names import file_stem, safe_stem
from .options import LoadOptions

if TYPE_CHECKING:
    from ..load.loader import NoModel


@dataclass
class Live:
    """The live model and the arguments it was traced with (for the doctor's experiments)."""

    model: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    namespace: dict[str, Any] = field(default_factory=dict)  # the model file's globals (example_dims)


@dataclass
class Target:
    """A traced model: the record, the stem its output files are named after, the live model, and the
    exception the forward pass raised (its traceback is what `--debug` prints; the record keeps its text)."""

    trace: Trace
    stem: str
    live: Live | None = None
    path: str = ""  # the model file (absolute)
    exception: BaseException | None = None


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
    raised: list[BaseException] = field(default_factory=list, compare=False)  # why the drawn pass failed

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def root(self) -> str:
        return os.path.dirname(self.path)


def settle_process() -> None:
    """For a process that runs one command and ends (the CLI): import torch now and freeze everything made
    so far out of the cyclic garbage collector's reach. torch's import leaves about a million objects, and
    every full collection during the run would walk them all (about 50 ms each); frozen, they are never
    walked and never freed, which costs nothing in a process that ends after the command. Not for a
    library caller's process: there, freezing would keep its garbage alive."""
    from .. import capture  # noqa: F401 - imports torch

    gc.freeze()


def check_path(path: str | os.PathLike[str]) -> str:
    """The absolute path of a readable Python file, or a usage error naming it (imports no torch)."""
    from ..load import userfile

    return userfile.check_path(path)


def trace_file(path: str | os.PathLike[str], load: LoadOptions | None = None, **given: Any) -> Target:
    """Load `path` (model mode, or script mode when it defines no model) and trace one forward pass.

    Args:
        path: the model file.
        load: how to run it (`--model`, `--input`, `--vocab`, `--script`, `--call`, `--device`, `--grad`,
            `--timeout`: the model's code is stopped after that many seconds — importing, building and the
            forward pass together — and what ran is drawn, with the failure saying where it was).
        given: the same as keywords (`model="build_builtin"`), for callers with no `LoadOptions` at hand.
    """
    from ..load import userfile

    load = dataclasses.replace(load or LoadOptions(), **given)
    path = check_path(path)  # before torch: a wrong path is reported at once
    request = _Request(path, load.model, load.inputs, load.vocab, load.call, load.grad, load.device)
    stem = file_stem(path, load.model)
    if load.timeout:
        from .. import capture  # noqa: F401 - torch imported before the clock starts: it is archviz's time
        from ..load import loader  # noqa: F401
    with userfile.user_path(path), process_kept(), time_limit(load.timeout) as limit:
        traced = _model_mode(request) if not load.script else None
        if not isinstance(traced, Trace):
            traced = _script_mode(request, traced)  # the file defines no model: the call its script makes
    limit.caught(traced)
    return _target(request, traced, stem)


def _target(request: _Request, trace: Trace, stem: str) -> Target:
    live = request.kept[-1] if request.kept else None
    raised = request.raised[-1] if request.raised and trace.failure is not None else None
    return Target(trace, stem, live, request.path, raised)


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


@functools.cache
def _library() -> tuple[str, ...]:
    """Folders of code that is neither archviz's nor the user's: torch's, Python's, code made at run time.

    Found on first use (sysconfig's paths take tens of milliseconds): only `--timeout` needs them.
    """
    spec = importlib.util.find_spec("torch")  # found, not imported
    return (
        os.path.dirname(spec.origin) + os.sep if spec and spec.origin else "\0",
        os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep,
        "<",  # frozen modules, and code made at run time (a dataclass's __init__ is `<string>`)
    )


RETRY_S = 1.0  # after a stop the model's code caught, the next one comes this much later
CAUGHT_LIMIT = 3  # stops the model's code may catch before archviz ends the process itself
STOPPED_EXIT = 124  # the exit status then, as `timeout(1)` gives
_STOP = threading.Event()  # SIGTERM arrived: whatever the model caught, nothing more is written
_CAUGHT: list[str] = []  # what the model's code caught and ran on after (said in the notes)


def request_stop() -> None:
    """SIGTERM arrived: `check_stop` raises from now on, wherever archviz is."""
    _STOP.set()


def stop_requested() -> bool:
    """Whether SIGTERM arrived."""
    return _STOP.is_set()


def check_stop() -> None:
    """Raise `Terminated` when SIGTERM arrived, even if the model's code caught the one raised in it."""
    if _STOP.is_set():
        raise Terminated()


def caught_notes() -> list[str]:
    """What the model's code caught of archviz's stops and ran on after (taken: said once)."""
    notes, _CAUGHT[:] = list(_CAUGHT), []
    return notes


@dataclass
class Limit:
    """How often a time limit fired (a stop the model's code caught fires again)."""

    seconds: float | None = None
    fired: int = 0

    def caught(self, trace: Trace) -> None:
        """After a pass that fired and yet finished: the model's code caught the stop; say so."""
        if self.fired and trace.failure is None:
            _CAUGHT.append(
                f"--timeout {self.seconds:g} s: the model's code caught archviz's stop ({self.fired}×) and ran on "
                "to the end; what it did is drawn whole"
            )


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[Limit]:
    """Raise `Timeout` in the model's code once `seconds` have passed (SIGALRM; main thread only).

    The exception is raised only where the user's code runs: if the alarm arrives while archviz's own
    hooks are at work (a frame of archviz's package before any user frame), it is put off by 10 ms, so
    the record is never left half-written. The limit holds whatever the model catches: `Timeout` is no
    `Exception`, and while the code runs on, it is raised again every `RETRY_S`; after `CAUGHT_LIMIT`
    stops caught, archviz ends the process itself (status `STOPPED_EXIT`) and says so.
    """
    limit = Limit(seconds)
    if not seconds:
        yield limit
        return
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        raise UsageError("--timeout needs a platform with SIGALRM and archviz running in the main thread.")

    library = _library()  # found now: the handler must not be slow

    def fire(signum: int, frame: FrameType | None) -> None:
        f = frame
        while f is not None and f.f_code.co_filename.startswith(library):
            f = f.f_back  # torch's or Python's own code, called by whoever is below
        if f is not None and f.f_code.co_filename.startswith(_PACKAGE):
            signal.setitimer(signal.ITIMER_REAL, 0.01)  # inside archviz: try again in a moment
            return
        limit.fired += 1
        if limit.fired > CAUGHT_LIMIT:
            _end_process(f"--timeout {seconds:g} s: the model's code caught the stop {CAUGHT_LIMIT} times and ran on")
        signal.setitimer(signal.ITIMER_REAL, RETRY_S)  # if this one is caught, the next comes
        raise Timeout(f"stopped after {seconds:g} s (--timeout)")

    before = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield limit
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def _end_process(why: str) -> None:
    """End the process now: the model's code will not let a Python exception stop it."""
    os.write(2, f"archviz: {why}; archviz ended the process (nothing more was written).\n".encode())
    os._exit(STOPPED_EXIT)


@contextlib.contextmanager
def process_kept() -> Iterator[None]:
    """Undo what a model file may do to the process around it: `os.chdir`, replacing or closing
    `sys.stdout`/`sys.stderr`, lowering the recursion limit. archviz's own messages and files then go where
    the user asked."""
    cwd = os.getcwd()
    streams = sys.stdout, sys.stderr
    limit = sys.getrecursionlimit()
    try:
        yield
    finally:
        sys.setrecursionlimit(max(limit, sys.getrecursionlimit()))  # a model that lowered it (to 60)
        if os.getcwd() != cwd:
            with contextlib.suppress(OSError):
                os.chdir(cwd)
        sys.stdout, sys.stderr = (_usable(s, fd) for s, fd in zip(streams, (1, 2), strict=True))


def _usable(stream: TextIO | None, fd: int) -> TextIO | None:
    """`stream`, or a new writer on the same file descriptor when the model closed it. A stream that was
    None before the model ran (the shell closed it: `>&-`) stays None, for the CLI to say so."""
    if stream is None or not stream.closed:
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
    if during_import.called is not None:  # its module and arguments: the doctor runs it again, grown
        r.kept.append(Live(during_import.called[0], during_import.called[1], {}))
    if load_error is not None:
        if during_import.trace is not None and during_import.trace.failure is not None:
            _raised(r, load_error.__cause__)
            return during_import.trace
        if during_import.trace is not None and isinstance(load_error, NoInputsError):
            return during_import.trace  # a pasted script: build, make inputs, call — that call is drawn
        done = load_error.__cause__
        if during_import.trace is not None and isinstance(done, SystemExit) and done.code in (None, 0):
            return during_import.trace  # a script that ends with sys.exit(0) after its model call
        raise load_error
    if isinstance(found, loader.Loaded):
        r.kept.append(Live(found.model, found.args, found.kwargs, found.namespace))
        traced = capture.run_model(
            found.model, found.args, found.kwargs, name=found.name, source_file=r.name, root_dir=r.root, grad=r.grad
        )
        _raised(r, traced.exception)
        return traced.trace
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
        _raised(r, script_error.__cause__ if script_error else None)
        return running.trace
    if script_error is not None:
        raise script_error
    if no_model is not None and running.seen == 0:
        raise no_model.error
    raise no_such_call(r.name, running.seen, r.call)


def _raised(r: _Request, exc: BaseException | None) -> None:
    """Keep the exception behind the pass that is drawn (for `--debug`)."""
    if exc is not None:
        r.raised.append(exc)


def no_such_call(name: str, seen: int, call: int) -> LoadError:
    """The error for `--call N` when the script made fewer top-level module calls."""
    return LoadError(
        f"{name}: running it as a script made {seen} top-level nn.Module "
        f"call(s), so there is no call number {call} to record (--call)."
    )


def trace_live(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any], grad: bool = False) -> Target:
    """Trace `model(*args, **kwargs)` once (an nn.Module already built, e.g. in a notebook)."""
    from .. import capture

    name = type(model).__name__
    traced = capture.run_model(model, args, kwargs, name=name, grad=grad)
    return Target(traced.trace, safe_stem(name), Live(model, args, kwargs), "", traced.exception)
