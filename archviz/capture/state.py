"""The model as it was before a trace: taken before the forward pass, put back after it.

A forward pass may change its own model: an EMA update reassigns a buffer, `self.w.data.clamp_()`
writes a parameter in place, BatchNorm in training mode moves its running statistics, `self.cache = x`
adds an attribute, `self.extra = nn.Linear(…)` a submodule, `requires_grad_(False)` flips flags. A
trace — finished, failed or interrupted — leaves the model exactly as it found it. What is kept:

- **Structure, always, by reference.** Each module's `__dict__` (attributes, `training`, and the
  `_parameters`/`_buffers`/`_modules` dicts themselves) and the contents of the plain dicts, lists
  and sets in it (which parameters, buffers and submodules it has, the non-persistent buffer names,
  its hooks): keys and object identity. Restoring puts back the same objects, not copies.
- **Per tensor, by reference** (parameters, buffers, their grads, tensor attributes): an alias of
  its data (`detach()`: the same storage, no copy), its version counter, `requires_grad`, and its
  `grad` object. A `p.data = other` swap is undone from the alias.
- **Values of buffers and tensor attributes, by copy, up to `COPY_LIMIT` bytes** (they are what forward
  passes usually write: running statistics, EMA buffers, caches). After the pass each copy is compared
  with its tensor and written back through `.data` only where they differ; a version counter the pass
  moved is set back. Comparing, not trusting version counters, is what sees BatchNorm's running
  statistics: the kernel that updates them moves no counter.
- **Values of parameters and grads, by copy on first write.** They are the bulk of a model's memory
  (440 MB for BERT-base) and a forward pass almost never writes them, so each is copied only just before
  an op that may write it runs (`before_write`: an in-place op, `out=`, `x[i] = v`, `F.embedding` with
  `max_norm`), recognised by its storage, so a write through `.data` or a view (`p.data.clamp_()`) is
  seen too. A parameter whose version counter moved with no copy taken (a write no torch function
  made: another thread, NumPy on its memory) is named in `notes`.
- **Past the limit**, a tensor is watched by its version counter only: one that moved is named in
  `notes` (the trace shows it). Meta tensors hold no data, so a 7B model on the meta device costs
  references only.

Measured (2 cores): BERT-base's trace no longer copies and compares 440 MB of weights (about 1.5 s
each way on a busy machine, and the process's peak RSS grew by the whole model).

A module whose class changed during the pass (a lazy module materialising its parameters) is left
as the pass made it: that change is the point of calling a lazy module once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from .tensors import version

COPY_LIMIT = 1 << 30  # bytes of tensor values copied per trace; past it, version counters only
_CONTAINERS = (dict, OrderedDict, list, set)  # exact types: a subclass may not restore as planned
_MISSING = object()
# What a tensor is to its module; values are copied in this order (buffers first), so it is also a priority.
_BUFFER, _PARAMETER, _GRAD, _ATTRIBUTE = range(4)
_Found = tuple[int, str, torch.Tensor]  # (kind, dotted name, tensor)


@dataclass
class _Tensor:
    """One tensor of the model: what it pointed to and held before the pass."""

    tensor: torch.Tensor
    name: str
    alias: torch.Tensor  # same storage as before the pass; keeps it alive
    version: int
    leaf: bool
    requires_grad: bool
    grad: torch.Tensor | None
    copy: torch.Tensor | None = None


@dataclass
class _Module:
    """One module: its attributes and the contents of its containers, by identity."""

    module: nn.Module
    name: str
    cls: type
    attrs: dict[str, Any]
    containers: list[tuple[Any, Any]]  # the ones with contents, with their contents
    empty: list[Any]  # the empty ones (most: a module's hook dicts), kept without a copy each


def _contents(c: Any) -> Any:
    return tuple(c.items()) if isinstance(c, dict) else tuple(c) if isinstance(c, list) else frozenset(c)


def _same(c: Any, saved: Any) -> bool:
    """True when container `c` holds what `saved` recorded: equal keys, the very same values."""
    if len(c) != len(saved):
        return False
    if isinstance(c, set):
        return bool(c == saved)
    if isinstance(c, dict):
        return all(k == sk and v is sv for (k, v), (sk, sv) in zip(c.items(), saved, strict=True))
    return all(a is b for a, b in zip(c, saved, strict=True))


def _put_back(c: Any, saved: Any) -> None:
    if isinstance(c, list):
        c[:] = saved
    else:
        c.clear()
        c.update(saved)


def _moved(t: torch.Tensor, alias: torch.Tensor) -> bool:
    """True when `t` no longer views the memory it viewed (`t.data = other`)."""
    if t.dtype != alias.dtype or t.device != alias.device or t.shape != alias.shape:
        return True
    try:
        return (
            t.stride() != alias.stride()
            or t.storage_offset() != alias.storage_offset()
            or t.untyped_storage().data_ptr() != alias.untyped_storage().data_ptr()
        )
    except (RuntimeError, NotImplementedError):
        return False  # a layout without strides or storage (sparse): shape and dtype are all we can tell


def _set_version(t: torch.Tensor, value: int) -> None:
    """Set a version counter back (a private torch helper; without it only the number differs)."""
    setter = getattr(torch._C._autograd, "_unsafe_set_version_counter", None)
    if setter is not None and value >= 0:
        try:
            setter((t,), (value,))
        except (RuntimeError, TypeError):
            pass


def _address(t: torch.Tensor) -> int | None:
    """Where a tensor's storage starts: a parameter, its `.data` and its views share it."""
    try:
        return int(t.untyped_storage().data_ptr()) or None
    except (RuntimeError, NotImplementedError, TypeError):
        return None


def _size(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def _text(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MB"


def _module(m: nn.Module, prefix: str) -> _Module:
    """Remember one module's attributes and the contents of its plain containers."""
    attrs = dict(m.__dict__)
    containers: list[tuple[Any, Any]] = []
    empty: list[Any] = []
    for v in attrs.values():
        if type(v) in _CONTAINERS:
            if v:
                containers.append((v, _contents(v)))
            else:
                empty.append(v)
    return _Module(m, prefix or type(m).__name__, type(m), attrs, containers, empty)


def _add_tensors(found: dict[int, _Found], m: nn.Module, attrs: dict[str, Any], dotted: str) -> None:
    """Add a module's buffers, parameters, their grads and tensor attributes to `found`, each tensor once."""
    for kind, group in ((_BUFFER, m._buffers), (_PARAMETER, m._parameters), (_ATTRIBUTE, attrs)):
        for key, t in group.items():
            if isinstance(t, torch.Tensor) and id(t) not in found:
                found[id(t)] = (kind, dotted + key, t)
            grad = t.grad if kind == _PARAMETER and isinstance(t, nn.Parameter) else None
            if grad is not None and id(grad) not in found:
                found[id(grad)] = (_GRAD, f"{dotted}{key}.grad", grad)


def _copy(entry: _Tensor) -> bool:
    """Copy a tensor's values into `entry.copy`; False for a tensor type that cannot be cloned (watched only)."""
    try:
        entry.copy = entry.alias.clone()
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


@dataclass
class ModelState:
    """A model's modules and tensors as they were; `restore` puts them back and fills `notes`."""

    modules: list[_Module] = field(default_factory=list)
    tensors: list[_Tensor] = field(default_factory=list)
    limit: int = COPY_LIMIT
    uncopied: int = 0  # bytes of real tensor values past the limit
    lost: list[str] = field(default_factory=list)  # what could not be put back
    notes: list[str] = field(default_factory=list)
    used: int = 0  # bytes copied so far
    lazy: dict[int, list[_Tensor]] = field(default_factory=dict)  # storage address -> parameters not copied yet

    @classmethod
    def take(cls, modules: list[nn.Module], limit: int | None = None) -> ModelState:
        """Remember `modules` (the root first) and copy up to `limit` bytes (`COPY_LIMIT`) of their tensor values."""
        state = cls(limit=COPY_LIMIT if limit is None else limit)
        names = {id(m): n for n, m in modules[0].named_modules()} if modules else {}
        found: dict[int, _Found] = {}  # by id: a tensor that modules share is remembered once
        for m in dict.fromkeys(modules):
            prefix = names.get(id(m), type(m).__name__)
            entry = _module(m, prefix)
            state.modules.append(entry)
            _add_tensors(found, m, entry.attrs, prefix + "." if prefix else "")
        state._remember(found.values())
        return state

    def _remember(self, found: Iterable[_Found]) -> None:
        """Add an entry per tensor; copy buffers and attributes now, while they fit in `limit`, and leave
        parameters and grads to be copied on their first write (`before_write`)."""
        for kind, name, t in sorted(found, key=lambda item: item[0]):
            entry = self._entry(name, t)
            if entry is None or t.device.type == "meta":
                continue
            if kind in (_PARAMETER, _GRAD) and t.layout == torch.strided:
                address = _address(t)
                if address is not None:
                    self.lazy.setdefault(address, []).append(entry)
                    continue
            self._take_copy(entry)

    def _take_copy(self, entry: _Tensor) -> None:
        """Copy one tensor's values when they fit in what is left of `limit`; count them otherwise."""
        size = _size(entry.alias)
        if entry.alias.layout == torch.strided and self.used + size <= self.limit and _copy(entry):
            self.used += size  # sparse & co are never copied: torch.equal cannot compare them
        else:
            self.uncopied += size

    def before_write(self, tensors: Iterable[torch.Tensor]) -> None:
        """Copy every parameter that one of `tensors` shares memory with, before an op writes it."""
        if not self.lazy:
            return
        for t in tensors:
            for entry in self.lazy.pop(_address(t) or -1, ()):
                self._take_copy(entry)

    def _entry(self, name: str, t: torch.Tensor) -> _Tensor | None:
        if is_lazy(t):
            return None  # a lazy module's placeholder: materialising it is the pass's job
        try:
            leaf = t.is_leaf
            entry = _Tensor(t, name, t.detach(), version(t), leaf, t.requires_grad, t.grad if leaf else None)
        except (RuntimeError, TypeError, ValueError, NotImplementedError):
            return None  # an exotic tensor subclass: its module's structure is still restored
        self.tensors.append(entry)
        return entry

    def restore(self) -> None:
        """Put every module and tensor back; never raises (it runs while an error may be propagating)."""
        with torch.no_grad():
            for m in self.modules:
                if type(m.module) is not m.cls:
                    continue
                try:
                    self._restore_module(m)
                except Exception as exc:  # noqa: BLE001 - one module's oddity must not stop the rest
                    self.lost.append(f"attributes of {m.name} ({type(exc).__name__})")
            for t in self.tensors:
                try:
                    self._restore_tensor(t)
                except Exception as exc:  # noqa: BLE001
                    self.lost.append(f"{t.name} ({type(exc).__name__})")
        self.notes = self._notes()

    def _restore_module(self, m: _Module) -> None:
        d = m.module.__dict__
        for key in [k for k in d if k not in m.attrs]:
            del d[key]
        for key, value in m.attrs.items():
            if d.get(key, _MISSING) is not value:
                d[key] = value
        for container, saved in m.containers:
            if not _same(container, saved):
                _put_back(container, saved)
        for container in m.empty:
            if container:
                container.clear()

    def _restore_tensor(self, e: _Tensor) -> None:
        t = e.tensor
        if _moved(t, e.alias):
            t.data = e.alias
        if e.copy is not None and not torch.equal(e.alias, e.copy):
            e.alias.data.copy_(e.copy)  # through .data: the write itself moves no version counter
        if version(t) != e.version:
            if e.copy is None and t.device.type != "meta":  # meta tensors hold no values to lose
                self.lost.append(e.name)
            else:
                _set_version(t, e.version)
        if e.leaf and t.requires_grad != e.requires_grad:
            t.requires_grad_(e.requires_grad)
        if e.leaf and t.grad is not e.grad:
            t.grad = e.grad

    def _notes(self) -> list[str]:
        if not self.lost:
            return []
        shown = ", ".join(self.lost[:4]) + (f" and {len(self.lost) - 4} more" if len(self.lost) > 4 else "")
        why = (
            f" (archviz copies up to {_text(self.limit)} of tensor values; "
            f"{_text(self.uncopied)} more were only watched)"
            if self.uncopied
            else ""
        )
        return [f"forward changed model state that was not restored: {shown}{why}"]
