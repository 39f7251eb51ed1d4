"""The mutable scratch state of one trace: receives hook and op events, freezes into a `record.Trace`.

It registers nothing itself (hooks and the TorchFunctionMode live in tracer.py); it is the one
place where the record is mutated, and `freeze` hands out the frozen result.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from .. import record
from ..errors import text_of
from ..kinds import INPUT_PRODUCER, CallKind
from . import layouts, methods, tensors, threads
from . import verify as gate_verify
from .modules import Statics, callee, is_builtin_leaf
from .ops import is_bookkeeping, may_write, op_name
from .plumbing import Plumbing
from .sourceloc import SourceFinder
from .stats import ACTIVATION_MODULES, ACTIVATION_OPS, Pending
from .walk import capped, walk_args
from .why import ids_beyond


def _no_torch_function() -> Any:
    """Read tensor metadata without re-entering our own TorchFunctionMode (it would record itself)."""
    return torch._C.DisableTorchFunction()


@dataclass
class _Open:
    """What a module call remembers from its pre-hook until its post-hook."""

    inputs: list[tuple[str, torch.Tensor]]
    versions: list[tuple[torch.Tensor, int]]
    reader: tensors.Reader


class Recorder:
    """Mutable scratch state of one trace; `freeze` turns it into a Trace."""

    def __init__(
        self, names: dict[int, str], finder: SourceFinder, tied: dict[int, tuple[str, ...]] | None = None
    ) -> None:
        self.names = names
        self.tied = tied or {}
        self.finder = finder
        self.calls: list[dict[str, Any]] = []
        self.stack: list[int] = []  # indices of open module calls
        self.skip_depth = 0  # >0 while inside a built-in leaf module
        self.in_hooks = False  # while the model's own pre-hooks of a built-in leaf module run
        self.table = tensors.TensorTable()
        self.open: dict[int, _Open] = {}  # call index -> its pre-hook's view of the inputs
        self.failure: record.Failure | None = None
        self.busy = False
        self.composite: tuple[FrameType, int] | None = None
        self.saved_profile: Any = None
        self.watch: Any = None  # the profile function that notes what ran, on while the model's code runs
        self.closed = False  # set once the recorded call has returned (script mode)
        self.verify = True
        self.grad = False  # whether autograd was on during the recorded pass
        self.statics = Statics(finder)  # per module, valid while the model is alive
        self.threads = threads.Threads()  # module hooks fire in any thread; only this one records
        self.notes: list[str] = []  # said on the root call: what the record leaves out
        # For `Trace.uncalled`/`unread`: the modules called, and the parameters and buffers of called
        # torch layers (their own ops are not recorded, but they read them), by object id.
        self.called: set[int] = set()
        self.leaf_reads: set[int] = set()
        self.stats = Pending()  # sigmoid/tanh output values, counted in batches
        self._direct = Plumbing(finder).direct  # did the user's frame make this call itself?
        self.methods: dict[int, FrameType] = {}  # open method calls of submodules (call index -> frame)
        self.method_calls: list[int] = []  # every such call, for their outputs at freeze

    def op_reads(self, model: nn.Module) -> set[int]:
        """Object ids of `model`'s parameters and buffers that a recorded call read (or returned)."""
        return {id(t) for t in (*model.parameters(), *model.buffers()) if self.table.seen(t)}

    # ---- tensors -------------------------------------------------------------------------

    def metas(self, items: list[tuple[str, torch.Tensor]]) -> tuple[record.TensorMeta, ...]:
        return tuple(self.table.read(path, t) for path, t in items)

    def mark_inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[record.TensorMeta, ...]:
        found, others = walk_args(args, kwargs)
        self.notes += capped(others)
        for path, t in found:
            self.table.made(path, t, INPUT_PRODUCER)
        return self.metas(found)

    def _results(
        self,
        call: dict[str, Any],
        output: Any,
        found: list[tuple[str, torch.Tensor]],
        before: list[tuple[torch.Tensor, int]],
        reader: tensors.Reader,
        inner_from: int | None = None,
    ) -> None:
        """Record what a call wrote in place and returned: new versions, hand-backs, new tensors.

        `found` are the call's input tensors (in the order of `call["inputs"]`); `before` their
        versions, for the calls that may write in place. `inner_from`: for a module call, the index of
        its first inner call; a write an inner call already recorded stays that call's.
        """
        wrote = tensors.written(before) if before else {}  # only calls that may write in place have a `before`
        for t in wrote.values():
            producer = self.table.producer(t)
            inner = inner_from is not None and producer is not None and record.call_number(producer) >= inner_from
            if not inner:
                self.table.wrote(t, call["id"])
        # one tensor is the common output: walked as walk_args would, without its containers' machinery
        results = [("output", output)] if type(output) is torch.Tensor else walk_args(output, None, root="output")[0]
        given = {id(t) for _, t in found}
        metas = []
        for path, t in results:
            key = id(t)
            if key in given and key not in wrote:
                read_as = next(m for (_, i), m in zip(found, call["inputs"], strict=True) if i is t)
                metas.append(self.table.handed_back(path, t, call["id"], reader, read_as))
            else:
                metas.append(self.table.made(path, t, call["id"]))
        call["outputs"] = tuple(metas)
        if inner_from is not None:
            self.table.done(call["id"], list(given))

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

    def module_hooks(self, module: nn.Module) -> None:
        """The model's own forward pre-hooks of `module` run now: what they compute for one of torch's layers
        (hook-based weight_norm's weight) is that layer's own work, as its forward's is."""
        if not self.closed and not self.busy:
            self.in_hooks = is_builtin_leaf(module)  # (not `statics`: a lazy layer's hook has not made its weights)

    def module_pre(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.in_hooks = False
        if self.closed:
            return
        self.called.add(id(module))
        if self.threads.elsewhere(count=True):
            return
        if self.skip_depth:
            self.skip_depth += 1
            return
        self.busy = True
        try:
            with _no_torch_function():
                self._close_composite_if_left(None)
                found, others = walk_args(args, kwargs)
                static = self.statics.of(module, self.names, self.tied)
                start = sys._getframe(1)
                source, _, frame = self.finder.site(start)
                methods.scope(self, frame)
                reader = tensors.Reader(frame, callee(static["name"]), False, True, self._direct(start, frame))
                cid = record.call_id(len(self.calls))
                inputs = tuple(self.table.read(path, t, reader, cid) for path, t in found)
                layout = static["layout"]
                idx = self._new_call(
                    CallKind.MODULE,
                    static["name"],
                    static["type"],
                    source=source or static["source"],
                    inputs=inputs,
                    args=tuple(record.ArgMeta(p, s) for p, s in others),
                    params=static["params"],
                    param_list=static["param_list"],
                    module_id=id(module),
                    arg_names=static["arg_names"],
                    notes=static["notes"],
                    settings=static["settings"],
                    layouts=() if layout is None else layout(found),
                )
                self.open[idx] = _Open(found, tensors.snapshot(found), reader)
                self.table.enter(cid)
                self.stack.append(idx)
                if static["leaf"]:
                    self.skip_depth = 1
                    # its ops are not recorded: a torch layer reads its own weights
                    self.leaf_reads.update(static["reads"])
        finally:
            self.busy = False

    def module_post(
        self, module: nn.Module, output: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> None:
        self.in_hooks = False  # a pre-hook that raised: the call ends here
        if self.closed or self.threads.elsewhere():
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
        opened = self.open.pop(idx, None)
        self.table.leave(call["id"])
        exc = sys.exc_info()[1]
        if exc is not None and output is None:
            self._fail(idx, exc, ids_beyond(module, args, exc))
            return
        if opened is not None:
            self._results(call, output, opened.inputs, opened.versions, opened.reader, inner_from=idx + 1)
        kind = ACTIVATION_MODULES.get(type(module))
        if kind is not None:
            self.stats.add(call, kind, output)
        if isinstance(module, gate_verify.RECURRENT):
            # The gate wiring is drawn only if it reproduces this very call's outputs.
            call["config"] = gate_verify.config(module)
            if self.verify:
                call["check"] = gate_verify.check(module, args, kwargs or {}, output)

    def _fail(self, idx: int, exc: BaseException, why: str = "") -> None:
        if self.failure is None:
            call = self.calls[idx]
            text = text_of(exc) + (f" ({why})" if why else "")
            call["error"] = f"{type(exc).__name__}: {text}"
            self.failure = record.Failure(call["id"], type(exc).__name__, text)

    def op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.busy or self.skip_depth or self.in_hooks or not self.stack or self.threads.elsewhere():
            return func(*args, **kwargs)
        if any(is_lazy(a) for a in args):  # a lazy layer making its weights: set-up, not the model's work
            return func(*args, **kwargs)
        self.busy = True
        try:
            with _no_torch_function():  # reading metadata must not come back through the mode
                start = sys._getframe(2)
                source, composite, frame = self.finder.site(start)
                self._close_composite_if_left(composite)
                methods.scope(self, frame)
                if composite is not None and self.composite is None:
                    self._open_composite(composite)
                name, qual = op_name(func)
                found, others = walk_args(args, kwargs)
                if name == "mm" and any(t.layout != torch.strided for _, t in found):
                    name, qual = "spmm", "torch.spmm"  # `torch.spmm` and a sparse `mm` reach the mode as `mm`
                direct = start is frame or self._direct(start, frame, getattr(func, "__code__", None))
                reader = tensors.Reader(frame, name, qual.startswith("Tensor."), False, direct)
                inputs = tuple(self.table.read(path, t, reader) for path, t in found)
                idx = self._new_call(
                    CallKind.OP,
                    name,
                    qual,
                    source=source,
                    inputs=inputs,
                    args=tuple(record.ArgMeta(p, s) for p, s in others),
                )
                before = tensors.snapshot(found) if may_write(name, kwargs) else []
        finally:
            self.busy = False
        try:
            out = func(*args, **kwargs)
        except BaseException as exc:
            self._fail(idx, exc)
            raise
        self.busy = True
        try:
            with _no_torch_function():
                call = self.calls[idx]
                self._results(call, out, found, before, reader)
                call["bookkeeping"] = is_bookkeeping(name, bool(call["outputs"]), len(call["inputs"]))
                kind = ACTIVATION_OPS.get(name)
                if kind is not None:
                    self.stats.add(call, kind, out)
        finally:
            self.busy = False
        return out

    def hush(self) -> bool:
        """Turn the watch off for archviz's own work (see `references.RanCode`); True when it was on."""
        if self.watch is None:
            return False
        sys.setprofile(None)
        return True

    def unhush(self) -> None:
        """Back to the model's code: the watch on again (through the grouped helper's, when one is open)."""
        sys.setprofile(self._profile if self.composite is not None else self.watch)

    # ---- grouped torch helpers (pack_padded_sequence & co) -------------------------------

    def _open_composite(self, frame: FrameType) -> None:
        code = frame.f_code
        names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        given = {n: frame.f_locals.get(n) for n in names}
        found, others = walk_args((), given, plain_kwargs=True)
        extra = {}
        if code.co_name == "pack_padded_sequence":
            extra["layouts"] = layouts.of_pack_padded(found, given.get("batch_first"))
        idx = self._new_call(
            CallKind.FUNCTION,
            code.co_name,
            "torch.nn.utils.rnn." + code.co_name,
            source=self.finder.find(frame.f_back)[0] if frame.f_back else None,
            inputs=self.metas(found),
            args=tuple(record.ArgMeta(p, s) for p, s in others),
            **extra,
        )
        self.composite = (frame, idx)
        # The helper's return value is the only honest record of its outputs; a profile
        # function sees it and is removed as soon as that frame returns.
        self.saved_profile = self.watch or sys.getprofile()  # (the watch is off while archviz works)
        sys.setprofile(self._profile)

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if self.saved_profile is not None:
            self.saved_profile(frame, event, arg)  # another profile function (what ran, `references.RanCode`)
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
            found, _ = walk_args(result, None, root="output")
            call = self.calls[idx]
            call["outputs"] = tuple(self.table.made(path, t, call["id"]) for path, t in found)
        finally:
            self.busy = was_busy

    def freeze(self, **trace_fields: Any) -> record.Trace:
        if self.composite is not None:
            self._close_composite(None)
        self.methods.clear()
        methods.fill_boundary(self.calls, self.method_calls, trace_fields.get("outputs", ()))
        self.stats.flush()
        said = [*self.notes, *filter(None, [self.threads.note()])]
        if said and self.calls:
            self.calls[0]["notes"] = (*self.calls[0].get("notes", ()), *said)
        calls = []
        while self.calls:  # each working dict dropped as its record is made: not both at once (GRU-T1000 -7 MB)
            c = self.calls.pop()
            c.pop("module_id", None)
            calls.append(record.Call(**c))
        calls.reverse()
        self.open.clear()
        return record.Trace(calls=tuple(calls), failure=self.failure, **trace_fields)
