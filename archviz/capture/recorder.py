"""The mutable scratch state of one trace: receives hook and op events, freezes into a `record.Trace`.

It registers nothing itself (hooks and the TorchFunctionMode live in tracer.py); it is the one
place where the record is mutated, and `freeze` hands out the frozen result.
"""

from __future__ import annotations

import inspect
import sys
import weakref
from types import FrameType
from typing import Any

import torch
from torch import nn

from .. import record
from ..kinds import INPUT_PRODUCER, CallKind
from . import verify as gate_verify
from .ops import is_bookkeeping, op_name
from .sourceloc import SourceFinder
from .walk import dtype_name, tensor_meta, walk_args


def _no_torch_function() -> Any:
    """Read tensor metadata without re-entering our own TorchFunctionMode (it would record itself)."""
    return torch._C.DisableTorchFunction()


def _is_builtin_leaf(module: nn.Module) -> bool:
    """True for a torch.nn layer with no children: its inner ops are its implementation."""
    return type(module).__module__.startswith("torch.") and not module._modules


class Recorder:
    """Mutable scratch state of one trace; `freeze` turns it into a Trace."""

    def __init__(self, names: dict[int, str], finder: SourceFinder) -> None:
        self.names = names
        self.finder = finder
        self.calls: list[dict[str, Any]] = []
        self.stack: list[int] = []  # indices of open module calls
        self.skip_depth = 0  # >0 while inside a built-in leaf module
        self.tensors: dict[int, tuple[Any, str, str | None]] = {}
        self.next_tid = 0
        self.failure: record.Failure | None = None
        self.busy = False
        self.composite: tuple[FrameType, int] | None = None
        self.saved_profile: Any = None
        self.closed = False  # set once the recorded call has returned (script mode)
        self.verify = True
        self.arg_cache: dict[type, tuple[str, ...]] = {}
        self.static: dict[int, dict[str, Any]] = {}  # per module, valid while the model is alive

    # ---- tensors -------------------------------------------------------------------------

    def _tid(self, t: torch.Tensor) -> tuple[str, str | None]:
        key = id(t)
        entry = self.tensors.get(key)
        if entry is not None and entry[0]() is t:
            return entry[1], entry[2]
        tid = f"t-{self.next_tid:04d}"
        self.next_tid += 1
        self.tensors[key] = (weakref.ref(t), tid, None)
        return tid, None

    def _produce(self, t: torch.Tensor, producer: str) -> None:
        tid, _ = self._tid(t)
        ref = self.tensors[id(t)][0]
        self.tensors[id(t)] = (ref, tid, producer)

    def metas(self, items: list[tuple[str, torch.Tensor]]) -> tuple[record.TensorMeta, ...]:
        out = []
        for path, t in items:
            tid, producer = self._tid(t)
            out.append(tensor_meta(path, t, tid, producer))
        return tuple(out)

    def mark_inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[record.TensorMeta, ...]:
        tensors, _ = walk_args(args, kwargs)
        for _, t in tensors:
            self._produce(t, INPUT_PRODUCER)
        return self.metas(tensors)

    # ---- calls ---------------------------------------------------------------------------

    def _parent(self) -> tuple[str | None, int]:
        if self.composite is not None:
            idx = self.composite[1]
            return self.calls[idx]["id"], self.calls[idx]["depth"] + 1
        if self.stack:
            top = self.calls[self.stack[-1]]
            return top["id"], top["depth"] + 1
        return None, 0

    def _new_call(self, kind: CallKind, name: str, type_: str, **extra: Any) -> int:
        parent, depth = self._parent()
        call = {
            "id": record.call_id(len(self.calls)),
            "kind": kind,
            "name": name,
            "type": type_,
            "parent": parent,
            "depth": depth,
            "outputs": (),
            "error": None,
            **extra,
        }
        self.calls.append(call)
        return len(self.calls) - 1

    def module_pre(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.closed:
            return
        if self.skip_depth:
            self.skip_depth += 1
            return
        self.busy = True
        try:
            with _no_torch_function():
                self._close_composite_if_left(None)
                tensors, others = walk_args(args, kwargs)
                static = self._static(module)
                idx = self._new_call(
                    CallKind.MODULE,
                    static["name"],
                    static["type"],
                    source=self.finder.find(sys._getframe(1))[0] or static["source"],
                    inputs=self.metas(tensors),
                    args=tuple(record.ArgMeta(p, s) for p, s in others),
                    params=static["params"],
                    param_list=static["param_list"],
                    module_id=id(module),
                    arg_names=static["arg_names"],
                )
                self.stack.append(idx)
                if static["leaf"]:
                    self.skip_depth = 1
        finally:
            self.busy = False

    def _static(self, module: nn.Module) -> dict[str, Any]:
        """What does not change between calls of one module: computed once per module."""
        info = self.static.get(id(module))
        if info is None:
            info = {
                "name": self.names.get(id(module), type(module).__name__),
                "type": type(module).__name__,
                "source": self._forward_source(module),
                "params": sum(p.numel() for p in module.parameters()),
                "param_list": tuple(
                    record.ParamMeta(n, tuple(p.shape), dtype_name(p.dtype), p.requires_grad)
                    for n, p in module.named_parameters(recurse=False)
                ),
                "arg_names": self._arg_names(type(module)),
                "leaf": _is_builtin_leaf(module),
            }
            self.static[id(module)] = info
        return info

    def _arg_names(self, cls: type[nn.Module]) -> tuple[str, ...]:
        names = self.arg_cache.get(cls)
        if names is None:
            try:
                params = list(inspect.signature(cls.forward).parameters.values())[1:]
                names = tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
            except (TypeError, ValueError):
                names = ()
            self.arg_cache[cls] = names
        return names

    def _forward_source(self, module: nn.Module) -> record.Source | None:
        code = getattr(type(module).forward, "__code__", None)
        if code is None or self.finder.is_skipped(code.co_filename):
            return None  # torch's own layers: no line of the user's to point at
        return self.finder.definition(code)

    def module_post(
        self, module: nn.Module, output: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> None:
        if self.closed:
            return
        if self.skip_depth > 1:
            self.skip_depth -= 1
            return
        self.skip_depth = 0
        self.busy = True
        try:
            with _no_torch_function():
                self._module_post(module, output, args, kwargs)
        finally:
            self.busy = False

    def _module_post(
        self, module: nn.Module, output: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None
    ) -> None:
        self._close_composite_if_left(None)
        # A KeyboardInterrupt can skip post-hooks; find this module's open call.
        while self.stack and self.calls[self.stack[-1]]["module_id"] != id(module):
            self.stack.pop()
        if not self.stack:
            return
        idx = self.stack.pop()
        call = self.calls[idx]
        exc = sys.exc_info()[1]
        if exc is not None and output is None:
            self._fail(idx, exc)
            return
        tensors, _ = walk_args(output, None, root="output")
        call["outputs"] = self.metas(tensors)
        for _, t in tensors:
            self._produce(t, call["id"])
        if isinstance(module, gate_verify.RECURRENT):
            # The gate wiring is drawn only if it reproduces this very call's outputs.
            call["config"] = gate_verify.config(module)
            if self.verify:
                call["check"] = gate_verify.check(module, args, kwargs or {}, output)

    def _fail(self, idx: int, exc: BaseException) -> None:
        if self.failure is None:
            call = self.calls[idx]
            call["error"] = f"{type(exc).__name__}: {exc}"
            self.failure = record.Failure(call["id"], type(exc).__name__, str(exc))

    def op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.busy or self.skip_depth or not self.stack:
            return func(*args, **kwargs)
        self.busy = True
        try:
            source, composite = self.finder.find(sys._getframe(2))
            self._close_composite_if_left(composite)
            if composite is not None and self.composite is None:
                self._open_composite(composite)
            name, qual = op_name(func)
            tensors, others = walk_args(args, kwargs)
            idx = self._new_call(
                CallKind.OP,
                name,
                qual,
                source=source,
                inputs=self.metas(tensors),
                args=tuple(record.ArgMeta(p, s) for p, s in others),
            )
        finally:
            self.busy = False
        try:
            out = func(*args, **kwargs)
        except BaseException as exc:
            self._fail(idx, exc)
            raise
        self.busy = True
        try:
            tensors, _ = walk_args(out, None, root="output")
            call = self.calls[idx]
            call["outputs"] = self.metas(tensors)
            call["bookkeeping"] = is_bookkeeping(name, bool(tensors), len(call["inputs"]))
            for _, t in tensors:
                self._produce(t, call["id"])
        finally:
            self.busy = False
        return out

    # ---- grouped torch helpers (pack_padded_sequence & co) -------------------------------

    def _open_composite(self, frame: FrameType) -> None:
        code = frame.f_code
        names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        tensors, others = walk_args((), {n: frame.f_locals.get(n) for n in names}, plain_kwargs=True)
        idx = self._new_call(
            CallKind.FUNCTION,
            code.co_name,
            "torch.nn.utils.rnn." + code.co_name,
            source=self.finder.find(frame.f_back)[0] if frame.f_back else None,
            inputs=self.metas(tensors),
            args=tuple(record.ArgMeta(p, s) for p, s in others),
        )
        self.composite = (frame, idx)
        # The helper's return value is the only honest record of its outputs; a profile
        # function sees it and is removed as soon as that frame returns.
        self.saved_profile = sys.getprofile()
        sys.setprofile(self._profile)

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if self.composite is not None and event == "return" and frame is self.composite[0]:
            self._close_composite(arg)

    def _close_composite_if_left(self, current: FrameType | None) -> None:
        if self.composite is not None and current is not self.composite[0]:
            self._close_composite(None)

    def _close_composite(self, result: Any) -> None:
        assert self.composite is not None
        _, idx = self.composite
        self.composite = None
        sys.setprofile(self.saved_profile)
        self.saved_profile = None
        if result is None:
            return
        was_busy, self.busy = self.busy, True
        try:
            tensors, _ = walk_args(result, None, root="output")
            call = self.calls[idx]
            call["outputs"] = self.metas(tensors)
            for _, t in tensors:
                self._produce(t, call["id"])
        finally:
            self.busy = was_busy

    def freeze(self, **trace_fields: Any) -> record.Trace:
        if self.composite is not None:
            self._close_composite(None)
        calls = []
        for c in self.calls:
            c = {k: v for k, v in c.items() if k != "module_id"}
            calls.append(record.Call(**c))
        return record.Trace(calls=tuple(calls), failure=self.failure, **trace_fields)
