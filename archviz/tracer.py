"""The forward pass with hooks: the only place hooks or a TorchFunctionMode exist.

`trace_model` calls a model once; `ScriptCapture` records the N-th top-level module call a user's
script makes. Both feed one private `Recorder`, which is mutated while the pass runs and frozen
into a `record.Trace` at the end.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from . import record
from ._walk import walk_args
from .errors import TraceError
from .recorder import Recorder
from .sourceloc import SourceFinder

_ACTIVE = threading.local()

class _Mode(TorchFunctionMode):
    def __init__(self, rec: Recorder) -> None:
        super().__init__()
        self.rec = rec

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        return self.rec.op(func, args, kwargs or {})


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


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """Refuse to nest traces: hooks of two traces would record each other."""
    if getattr(_ACTIVE, "on", False):
        raise TraceError("archviz is already tracing in this thread; a trace cannot be nested inside another.")
    _ACTIVE.on = True
    _ACTIVE.last_exception = None
    try:
        yield
    finally:
        _ACTIVE.on = False


def _hook_all(stack: contextlib.ExitStack, modules: list[nn.Module], rec: Recorder) -> None:
    def pre(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        rec.module_pre(module, args, kwargs)

    def post(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        rec.module_post(module, output, args, kwargs)

    for m in modules:
        stack.callback(m.register_forward_pre_hook(pre, with_kwargs=True).remove)
        stack.callback(m.register_forward_hook(post, with_kwargs=True, always_call=True).remove)


def _keep_training_flags(stack: contextlib.ExitStack, modules: list[nn.Module]) -> None:
    flags = [(m, m.training) for m in modules]
    # Buffers a forward pass may update (BatchNorm's running statistics): copied now, put back after.
    buffers = [(b, b.detach().clone()) for m in modules for b in m.buffers(recurse=False) if b.device.type != "meta"]

    def restore() -> None:
        for m, flag in flags:
            m.training = flag
        with torch.no_grad():
            for b, saved in buffers:
                if b.shape == saved.shape:
                    b.copy_(saved)

    stack.callback(restore)


def _param_totals(model: nn.Module) -> tuple[tuple[str, str], ...]:
    """Trainable and frozen counts and bytes over model.parameters(), which yields tied weights once."""
    trainable = frozen = size = 0
    for p in model.parameters():
        n = p.numel()
        trainable += n if p.requires_grad else 0
        frozen += 0 if p.requires_grad else n
        size += n * p.element_size()
    return (("params_trainable", str(trainable)), ("params_frozen", str(frozen)), ("params_bytes", str(size)))


def _trace_fields(model: nn.Module, name: str, source_file: str, rec: Recorder, inputs: Any, output: Any) -> dict[str, Any]:
    outs, _ = walk_args(output, None, root="output") if output is not None else ([], [])
    return {
        "model_name": name,
        "model_class": type(model).__name__,
        "source_file": source_file,
        "inputs": inputs,
        "outputs": rec.metas(outs),
        "meta": (
            ("torch", torch.__version__),
            ("training", str(model.training)),
            ("output_type", type(output).__name__),
            *_param_totals(model),
        ),
    }


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
    """Run `model(*args, **kwargs)` once and record every module and op call.

    Args:
        model: the module to call; it is left exactly as it was (no hooks, same flags).
        args, kwargs: the forward pass's arguments.
        name: the name the model was found under, used for titles and file names.
        source_file: the model file, shown in the record (relative to `root_dir`).
        root_dir: folder whose files count as the user's code for source locations.
        grad: run with autograd on (default off, as `torch.no_grad()`).
        verify: recompute built-in recurrent modules from their weights (see gates.verify).

    When the forward pass raises, the returned Trace holds what ran and a `failure`.
    """
    kwargs = kwargs or {}
    modules = list(dict.fromkeys(model.modules()))
    names = {id(m): n for n, m in model.named_modules()}
    rec = Recorder(names, SourceFinder(root_dir))
    rec.verify = verify
    output = None
    with _exclusive(), _no_gc(), contextlib.ExitStack() as stack:
        _keep_training_flags(stack, modules)
        rec.busy = True
        inputs = rec.mark_inputs(args, kwargs)
        rec.busy = False
        _hook_all(stack, modules, rec)
        stack.enter_context(torch.set_grad_enabled(grad))
        stack.enter_context(_Mode(rec))
        try:
            output = model(*args, **kwargs)
        except Exception as exc:  # the record of what ran is the product here
            if rec.failure is None:
                rec.failure = record.Failure(None, type(exc).__name__, str(exc))
            _ACTIVE.last_exception = exc  # for --debug: the traceback is not part of the record
            output = None
        finally:
            rec.busy = True
    return rec.freeze(**_trace_fields(model, name, source_file, rec, inputs, output))


class ScriptCapture:
    """Record the `call`-th top-level module call made while this context is open.

    Used by the CLI around `loader.run_script`: the loader runs the user's script, this
    records its forward pass. `trace` is set after the context closes (None if the script
    never made that call).
    """

    def __init__(self, call: int = 1, *, source_file: str = "", root_dir: str | None = None) -> None:
        self.want = call
        self.seen = 0
        self.source_file = source_file
        self.rec = Recorder({}, SourceFinder(root_dir))
        self.root: nn.Module | None = None
        self.done = False
        self.inputs: tuple[record.TensorMeta, ...] = ()
        self.output: Any = None
        self.trace: record.Trace | None = None
        self._stack: contextlib.ExitStack | None = None
        self._other: nn.Module | None = None

    def __enter__(self) -> ScriptCapture:
        stack = contextlib.ExitStack()
        stack.enter_context(_exclusive())
        self._stack = stack
        try:
            pre = nn.modules.module.register_module_forward_pre_hook(self._global_pre)
            stack.callback(pre.remove)
            post = nn.modules.module.register_module_forward_hook(self._global_post, always_call=True)
            stack.callback(post.remove)
            stack.enter_context(_Mode(self.rec))
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stack is not None
        self.rec.busy = True
        try:
            self._stack.close()
        finally:
            if self.root is not None:
                self.trace = self.rec.freeze(
                    **_trace_fields(self.root, type(self.root).__name__, self.source_file, self.rec, self.inputs, self.output)
                )

    def _recording(self) -> bool:
        return self.root is not None and not self.done

    def _global_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if self.done or self.rec.stack or self.rec.skip_depth or self._other is not None:
            return
        self.seen += 1
        if self.seen != self.want:
            self._other = module  # another top-level call: its children are not top-level
            return
        assert self._stack is not None
        self.root = module
        self.rec.names = {id(m): n for n, m in module.named_modules()}
        self.rec.busy = True
        self.inputs = self.rec.mark_inputs(args, {})
        self.rec.busy = False
        _keep_training_flags(self._stack, list(module.modules()))
        # The root is handled by the global hooks; its children get hooks that see kwargs.
        _hook_all(self._stack, [m for m in dict.fromkeys(module.modules()) if m is not module], self.rec)
        self.rec.module_pre(module, args, {})

    def _global_post(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if module is self._other:
            self._other = None
            return
        if module is not self.root or self.done:
            return
        if len(self.rec.stack) != 1:
            return  # a recursive call of the root module inside itself
        self.rec.module_post(module, output, args)
        self.output = output
        self.done = self.rec.closed = True


def remember_exception(exc: BaseException | None) -> None:
    """Keep the exception behind a partial trace made outside `trace_model` (script mode)."""
    _ACTIVE.last_exception = exc


def last_exception() -> BaseException | None:
    """The exception of the last failed forward pass traced in this thread (for --debug)."""
    return getattr(_ACTIVE, "last_exception", None)
