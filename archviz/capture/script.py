"""Script mode: record the N-th top-level module call that a user's script makes while it runs."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Self

import torch
from torch import nn

from .. import record
from .modules import tied_parameters
from .recorder import Recorder
from .sourceloc import SourceFinder
from .tracer import RecordingMode, exclusive, hook_all, keep_model_state, message, trace_fields


class ScriptCapture:
    """Record the `call`-th top-level module call made while this context is open.

    Used around `load.userfile.run_script`: the loader runs the user's script, this records its
    forward pass. `trace` is set after the context closes (None if the script never made that
    call); `called` keeps the live module and arguments of that call (for `archviz summary`).
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
        self.called: tuple[nn.Module, tuple[Any, ...]] | None = None  # the live module and arguments
        self._stack: contextlib.ExitStack | None = None
        self._other: nn.Module | None = None
        self._mode: RecordingMode | None = None

    def __enter__(self) -> Self:
        stack = contextlib.ExitStack()
        stack.enter_context(exclusive())
        self._stack = stack
        try:
            pre = nn.modules.module.register_module_forward_pre_hook(self._global_pre)
            stack.callback(pre.remove)
            post = nn.modules.module.register_module_forward_hook(self._global_post, always_call=True)
            stack.callback(post.remove)
            stack.callback(self._stop_recording)
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
                    **trace_fields(
                        self.root,
                        getattr(self.root, "original_name", None) or type(self.root).__name__,
                        self.source_file,
                        self.rec,
                        self.inputs,
                        self.output,
                    )
                )

    def _stop_recording(self) -> None:
        if self._mode is not None:
            mode, self._mode = self._mode, None
            mode.__exit__(None, None, None)

    def _global_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if self.done or self.rec.stack or self.rec.skip_depth or self._other is not None:
            return
        if torch.jit.is_tracing():
            return  # torch.jit.trace running the model (at build time): its own pass, not the script's
        self.seen += 1
        if self.seen != self.want:
            self._other = module  # another top-level call: its children are not top-level
            return
        assert self._stack is not None
        self.root = module
        self.called = (module, args)
        self.rec.grad = torch.is_grad_enabled()  # a script runs as written: its own grad mode
        self.rec.names = {id(m): n for n, m in module.named_modules()}
        self.rec.tied = tied_parameters(module)
        self.rec.busy = True
        self.inputs = self.rec.mark_inputs(args, {})
        self.rec.busy = False
        state = keep_model_state(self._stack, list(module.modules()))
        # The root is handled by the global hooks; its children get hooks that see kwargs.
        hook_all(self._stack, [m for m in dict.fromkeys(module.modules()) if m is not module], self.rec)
        # Ops are recorded only while this call runs: outside it (importing, building, torch.jit.trace
        # checking its graphs) the script runs exactly as it would without archviz.
        self._mode = RecordingMode(self.rec, state)
        self._mode.__enter__()
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
        self._stop_recording()

    def failed(self, exc: BaseException | None) -> None:
        """The script raised (or called `sys.exit`) while the recorded call ran: record where, as model mode
        does — the line that raised, and a failure on the call even when torch skipped its post-hooks
        (it runs them for an `Exception` only, not for `SystemExit`)."""
        if exc is None or self.root is None or not self.rec.calls:
            return
        if self.rec.failure is None and not self.done:
            root = self.rec.calls[0]
            root["error"] = f"{type(exc).__name__}: {message(exc)}"
            self.rec.failure = record.Failure(root["id"], type(exc).__name__, message(exc))
        if self.rec.failure is not None and self.rec.failure.raised_at is None:
            raised_at = self.rec.finder.raised_at(exc.__traceback__)
            self.rec.failure = dataclasses.replace(self.rec.failure, raised_at=raised_at)
        self.done = self.rec.closed = True
        self._stop_recording()
