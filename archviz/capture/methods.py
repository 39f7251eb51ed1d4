"""Submodules used through their methods, not `forward`: `self.corr_block.build_pyramid(f1, f2)`.

No hook fires for such a call, so the ops it runs would be credited to the caller. The recorder asks
here, for the user's frame of each op and module call, whether that frame is a method of a registered
module other than those whose calls are open; if so it opens a module call for it (closed once the
frame has returned), so that `--depth 1` collapses the module's work into its box as for `forward`.
Its outputs are what its inner calls made and later calls (or the model's outputs) read.
"""

from __future__ import annotations

import dataclasses
from types import FrameType
from typing import Any

from torch import nn

from .. import record
from ..kinds import CallKind
from .walk import walk_args


def scope(rec: Any, frame: FrameType | None) -> None:
    """Close the method calls whose frame returned; open one when `frame` is a method of a registered
    module whose call is not open (`self.corr_block.build_pyramid(...)`: no hook fires). `rec` is the
    `recorder.Recorder`, which imports this module."""
    while rec.stack and rec.stack[-1] in rec.methods:
        if running(rec.methods[rec.stack[-1]], frame):
            break
        rec.methods.pop(rec.stack.pop())
    module = owner(frame, rec.names)
    if module is None or frame is None or any(rec.calls[i]["module_id"] == id(module) for i in rec.stack):
        return
    rec.called.add(id(module))  # used, if not through forward
    static = rec.statics.of(module, rec.names, rec.tied)
    found, others = walk_args((), arguments(frame), plain_kwargs=True)
    idx = rec._new_call(
        CallKind.MODULE,
        static["name"],
        static["type"],
        **call_fields(static, frame, rec.finder.site(frame.f_back)[0] if frame.f_back else None),
        inputs=rec.metas(found),
        args=tuple(record.ArgMeta(p, s) for p, s in others),
        module_id=id(module),
    )
    rec.stack.append(idx)
    rec.methods[idx] = frame
    rec.method_calls.append(idx)


def owner(frame: FrameType | None, names: dict[int, str]) -> nn.Module | None:
    """The registered module whose method `frame` runs (its first argument `self`), else None."""
    if frame is None:
        return None
    code = frame.f_code
    if not code.co_argcount or code.co_varnames[0] != "self":  # `forward` too: `self.head.forward(h)` runs no hook
        return None
    me = frame.f_locals.get("self")
    return me if isinstance(me, nn.Module) and id(me) in names else None


def call_fields(static: dict[str, Any], frame: FrameType, source: record.Source | None) -> dict[str, Any]:
    """The module call's fields that say what it is and how it was used."""
    return {
        "source": source,
        "params": static["params"],
        "param_list": static["param_list"],
        "notes": (*static["notes"], f"used through its method {frame.f_code.co_name}(), not forward"),
    }


def running(method: FrameType, frame: FrameType | None) -> bool:
    """Whether `frame` is `method` or called from it (the method has not returned)."""
    f = frame
    while f is not None:
        if f is method:
            return True
        f = f.f_back
    return frame is None  # no user frame: nothing says the method returned


def arguments(frame: FrameType) -> dict[str, Any]:
    """The method's arguments but `self`, by name."""
    code = frame.f_code
    names = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    local = frame.f_locals
    return {n: local.get(n) for n in names}


def fill_boundary(calls: list[dict[str, Any]], opened: list[int], outputs: tuple[record.TensorMeta, ...]) -> None:
    """Complete each method call's boundary once the pass is over: as inputs, besides its arguments, the
    tensors made before it that its inner calls read (`state[i]`: a pyramid an earlier method built and
    kept in an attribute); as outputs, the tensors its inner calls made that a later call or the model's
    outputs read (in the order first read), keeping the inner producer as a module's outputs do."""
    for idx in opened:
        depth = calls[idx]["depth"]
        end = next((j for j in range(idx + 1, len(calls)) if calls[j]["depth"] <= depth), len(calls))
        inner = {c["id"] for c in calls[idx + 1 : end]}
        given = {t.tid for t in calls[idx]["inputs"]}
        state: dict[str, record.TensorMeta] = {}
        for t in (t for c in calls[idx + 1 : end] for t in c.get("inputs", ())):
            if record.is_call_id(t.producer) and t.producer not in inner and t.tid not in given | set(state):
                state[t.tid] = t
        calls[idx]["inputs"] = (
            *calls[idx]["inputs"],
            *(_moved(t, f"state[{i}]") for i, t in enumerate(state.values())),
        )
        found: dict[str, record.TensorMeta] = {}
        for t in (*(t for c in calls[end:] for t in c.get("inputs", ())), *outputs):
            if t.producer in inner and t.tid not in found:
                found[t.tid] = t
        calls[idx]["outputs"] = tuple(_moved(t, f"output[{i}]") for i, t in enumerate(found.values()))


def _moved(t: record.TensorMeta, path: str) -> record.TensorMeta:
    return dataclasses.replace(t, path=path, given="")
