"""The forward pass with hooks: the only place hooks or a TorchFunctionMode exist.

`trace_model` calls a model once; `script.ScriptCapture` records the N-th top-level module call a
user's script makes. Both feed one private `Recorder`, which is mutated while the pass runs and
frozen into a `record.Trace` at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import sys
import threading
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.hooks import RemovableHandle

from .. import record
from ..errors import TraceError, text_of
from ..kinds import MetaKey, Switch
from .modules import class_name, is_script, tied_parameters
from .ops import writes
from .recorder import Recorder
from .references import RanCode
from .sourceloc import SourceFinder
from .state import ModelState
from .threads import ThreadWatch
from .unused import explain as explain_unused
from .unused import find as find_unused
from .walk import capped, walk_args

_ACTIVE = threading.local()


class RecordingMode(TorchFunctionMode):
    """Every torch function the model calls goes to the recorder; one that may write a parameter first
    lets the model's state copy it (`state.ModelState.before_write`)."""

    def __init__(self, rec: Recorder, state: ModelState | None = None) -> None:
        super().__init__()
        self.rec = rec
        self.state = state

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        hushed = self.rec.hush()
        try:
            kwargs = kwargs or {}
            if self.state is not None and self.state.lazy and writes(func, args, kwargs):
                self.state.before_write(_tensors(args, kwargs))
            return self.rec.op(func, args, kwargs)
        finally:
            if hushed:
                self.rec.unhush()


def _tensors(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[torch.Tensor]:
    """The tensors among an op's arguments, and in lists or tuples of them (`torch.cat(out=…)`)."""
    found: list[torch.Tensor] = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, torch.Tensor):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found.extend(x for x in a if isinstance(x, torch.Tensor))
    return found


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while recording: the record's many small objects trigger full collections
    that make tracing superlinear in the number of calls (measured: 1032 -> 722 ms at 29k calls)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


FRAMES_PER_LEVEL = 12  # Python frames archviz's hooks add per level of module nesting (measured: 7)


@contextlib.contextmanager
def _room_for_hooks(names: dict[int, str]) -> Iterator[None]:
    """Raise the recursion limit by what the hooks add per level of nesting, so a model that runs plain
    (200 nested modules) also runs traced; put back whatever the limit was before (or, when the model's
    own code changed it, leave the model's value)."""
    depth = max((n.count(".") + 1 for n in names.values() if n), default=0)
    before = sys.getrecursionlimit()
    raised = before + FRAMES_PER_LEVEL * depth
    sys.setrecursionlimit(raised)
    try:
        yield
    finally:
        if sys.getrecursionlimit() == raised:
            sys.setrecursionlimit(before)


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """Refuse to nest traces: hooks of two traces would record each other."""
    if getattr(_ACTIVE, "on", False):
        raise TraceError("archviz is already tracing in this thread; a trace cannot be nested inside another.")
    _ACTIVE.on = True
    try:
        yield
    finally:
        _ACTIVE.on = False


def hook_all(stack: contextlib.ExitStack, modules: list[nn.Module], rec: Recorder) -> None:
    """Hook every module; TorchScript modules refuse hooks, so their calls are seen by global hooks.

    A TorchScript module runs outside Python: its own call is recorded (as one opaque box), nothing
    inside it, and its submodules are never called from Python at all.
    """

    def pre(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        hushed = rec.hush()
        try:
            rec.module_pre(module, args, kwargs)
        finally:
            if hushed:
                rec.unhush()

    def post(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        hushed = rec.hush()
        try:
            rec.module_post(module, output, args, kwargs)
        finally:
            if hushed:
                rec.unhush()

    def first(module: nn.Module, args: tuple[Any, ...]) -> None:
        rec.module_hooks(module)

    inside_script = {id(sub) for m in modules if is_script(m) for sub in m.modules()}
    handles: list[RemovableHandle] = []
    stack.callback(_remove_all, handles)  # one callback for all, before the first: none is left behind
    for m in modules:
        if id(m) not in inside_script:
            if m._forward_pre_hooks:  # the model's own pre-hooks (hook-based weight_norm) run between these two
                handles.append(m.register_forward_pre_hook(first, prepend=True))
            handles.append(m.register_forward_pre_hook(pre, with_kwargs=True))
            handles.append(m.register_forward_hook(post, with_kwargs=True, always_call=True))
    scripts = {id(m) for m in modules if is_script(m)}
    if scripts:

        def script_pre(module: nn.Module, args: tuple[Any, ...]) -> None:
            if id(module) in scripts:
                rec.module_pre(module, args, {})

        def script_post(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
            if id(module) in scripts:
                rec.module_post(module, output, args, {})

        stack.callback(nn.modules.module.register_module_forward_pre_hook(script_pre).remove)
        stack.callback(nn.modules.module.register_module_forward_hook(script_post, always_call=True).remove)


def _remove_all(handles: list[RemovableHandle]) -> None:
    """Remove every hook archviz added (a callback each held 10,000 layers' worth of closures: 10 MB)."""
    for handle in reversed(handles):
        handle.remove()


def keep_model_state(stack: contextlib.ExitStack, modules: list[nn.Module]) -> ModelState:
    """Snapshot `modules` (the root first) now and restore them when `stack` closes.

    Register it before any hook, so it runs after they are removed. Parameters, buffers, their flags
    and grads, attributes, training flags and the module tree come back as they were; see
    `state.ModelState` for what is copied and what is only watched. The returned state's `notes` say,
    after the stack closed, what could not be put back.
    """
    state = ModelState.take(modules)
    stack.callback(state.restore)
    return state


def _param_totals(model: nn.Module) -> tuple[tuple[str, str], ...]:
    """Trainable and frozen counts and bytes over model.parameters(), which yields tied weights once."""
    trainable = frozen = size = 0
    for p in model.parameters():
        if isinstance(p, nn.parameter.UninitializedParameter):
            continue  # a lazy layer the pass did not reach: it has no size yet
        n = p.numel()
        trainable += n if p.requires_grad else 0
        frozen += 0 if p.requires_grad else n
        size += n * p.element_size()
    return (("params_trainable", str(trainable)), ("params_frozen", str(frozen)), ("params_bytes", str(size)))


def trace_fields(
    model: nn.Module, name: str, source_file: str, rec: Recorder, inputs: Any, output: Any, ran: RanCode | None = None
) -> dict[str, Any]:
    outs, others = walk_args(output, None, root="output") if output is not None else ([], [])
    rec.notes += capped(others)
    # after a failure, what never ran says nothing about the model
    failed = rec.failure is not None
    uncalled, unread = ((), ()) if failed else find_unused(model, rec.called, rec.op_reads(model), rec.leaf_reads)
    seen = ran.keys(rec.finder.codes) if ran else None  # (what ran inside an op is seen by its calls' sites)
    uncalled, unread, idle = explain_unused(model, uncalled, unread, seen, rec.finder)
    return {
        "model_name": name,
        "model_class": class_name(model),
        "source_file": source_file,
        "inputs": inputs,
        "outputs": rec.metas(outs),
        "meta": (
            (MetaKey.TORCH, torch.__version__),
            (MetaKey.TRAINING, str(model.training)),
            (MetaKey.AUTOGRAD, Switch.ON if rec.grad else Switch.OFF),
            (MetaKey.OUTPUT_TYPE, type(output).__name__),
            *_param_totals(model),
        ),
        "uncalled": uncalled,
        "unread": unread,
        "idle": idle,
    }


@dataclasses.dataclass(frozen=True)
class Traced:
    """A record and, when the forward pass raised, the exception itself (its traceback is for `--debug`;
    the record keeps only its type and text)."""

    trace: record.Trace
    exception: BaseException | None = None


def trace_model(
    model: nn.Module,
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None = None,
    *,
    name: str = "model",
    source_file: str = "",
    root_dir: str | None = None,
    grad: bool = False,
    verify: bool = True,
) -> record.Trace:
    """Run `model(*args, **kwargs)` once and return its record (see `run_model`)."""
    return run_model(
        model, args, kwargs, name=name, source_file=source_file, root_dir=root_dir, grad=grad, verify=verify
    ).trace


def run_model(
    model: nn.Module,
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None = None,
    *,
    name: str = "model",
    source_file: str = "",
    root_dir: str | None = None,
    grad: bool = False,
    verify: bool = True,
) -> Traced:
    """Run `model(*args, **kwargs)` once and record every module and op call.

    Args:
        model: the module to call; it is left exactly as it was: no hooks, and the same parameters,
            buffers, flags, attributes and submodules (see `keep_model_state`), also when the
            forward pass raises or is interrupted.
        args, kwargs: the forward pass's arguments.
        name: the name the model was found under, used for titles and file names.
        source_file: the model file, shown in the record (relative to `root_dir`).
        root_dir: folder whose files count as the user's code for source locations.
        grad: run with autograd on (default off, as `torch.no_grad()`).
        verify: recompute built-in recurrent modules from their weights (see gates.verify).

    When the forward pass raises, the returned record holds what ran and a `failure`, and the result
    carries the exception. The root call's
    notes say what the record leaves out: state the pass changed that could not be restored, work
    it ran in other threads (their ops are not recorded).
    """
    kwargs = kwargs or {}
    compiled, model = _eager(model)
    modules = list(dict.fromkeys(model.modules()))
    names = {id(m): n for n, m in model.named_modules()}
    rec = Recorder(names, SourceFinder(root_dir), tied_parameters(model))
    rec.verify = verify
    rec.grad = grad
    output = None
    raised: BaseException | None = None
    with exclusive(), _no_gc(), _room_for_hooks(names):
        with contextlib.ExitStack() as stack:
            state = keep_model_state(stack, modules)
            rec.busy = True
            inputs = rec.mark_inputs(args, kwargs)
            rec.busy = False
            hook_all(stack, modules, rec)
            stack.enter_context(ThreadWatch(rec.threads.started))
            stack.enter_context(torch.set_grad_enabled(grad))
            stack.enter_context(RecordingMode(rec, state))
            ran = RanCode()
            try:
                with ran.install() as watching:
                    rec.watch = ran.profile if watching else None
                    output = model(*args, **kwargs)
            except KeyboardInterrupt:  # Ctrl-C and SIGTERM stop archviz too (the model is restored)
                raise
            except BaseException as exc:  # GeneratorExit, a custom BaseException: recorded like any failure;
                # the record of what ran is the product here
                if rec.failure is None:
                    rec.failure = record.Failure(None, type(exc).__name__, message(exc))
                # the line of the user's code the exception came out of (not the line that called the module)
                raised_at = rec.finder.raised_at(exc.__traceback__)
                rec.failure = dataclasses.replace(rec.failure, raised_at=raised_at)
                raised = exc  # for --debug: the traceback is not part of the record
                output = None
            finally:
                rec.busy = True
                rec.watch = None
            fields = trace_fields(model, name, source_file, rec, inputs, output, ran)
        # the model is back as it was (hooks gone, state restored): say what that could not undo
        rec.notes += state.notes
        if compiled:
            rec.notes += (COMPILED_NOTE,)
        # frozen with the GC still paused: the collector would walk every record made so far
        return Traced(rec.freeze(**fields), raised)


COMPILED_NOTE = (
    "the model is wrapped by torch.compile: drawn from the module it compiles (its eager forward), which "
    "computes the same shapes; compiled kernels are not recorded"
)


def _eager(model: nn.Module) -> tuple[bool, nn.Module]:
    """(compiled?, the module to run): the module inside `torch.compile(model)`, whose eager forward the
    hooks can see (the compiled one runs on symbolic shapes that are no record's sizes)."""
    inner = getattr(model, "_orig_mod", None)
    if type(model).__module__.startswith("torch._dynamo") and isinstance(inner, nn.Module):
        return True, inner
    return False, model


def message(exc: BaseException) -> str:
    """The text of a failure; `sys.exit(5)` in forward says so (its own text would be just `5`)."""
    if isinstance(exc, SystemExit):
        return (
            f"the model's code called sys.exit({exc.code!r})"
            if exc.code is not None
            else "the model's code called sys.exit()"
        )
    return text_of(exc)
