"""Work that goes nowhere: registered modules a forward pass never called, parameters nothing read.

Computed once after the pass from what the recorder saw (`Recorder.called`, `Recorder.read`: object
ids), for `Trace.uncalled` and `Trace.unread`. Precision first, so a module or parameter is named
only when the user's own code could have used it and did not:

- A module counts as used when it was called, or anything inside it was called or had a parameter or
  buffer read (a VAE's `encoder.encode(x)` calls the encoder's children, not the encoder; a holder of
  a positional-encoding buffer is read, never called), also by a torch layer that ran with a weight
  tied to it (T5's `shared`, whose weight is the encoder's `embed_tokens.weight`: tied to a used
  weight is used).
- Containers (ModuleList, ModuleDict, ParameterList, ParameterDict, and a Sequential nobody called)
  are looked through: a module's parent is the nearest enclosing module that is not one. A container
  is named itself when nothing inside it was used; ParameterList/Dict never are (they hold parameters,
  which `unread` names).
- Only the outermost unused module is named, and only when its parent was called and is not one of
  torch's own layers (nn.MultiheadAttention reads `out_proj`'s weights without calling it).
- Nothing inside a TorchScript module is seen, so nothing there is named.
- `explain` then leaves out modules used through their methods in the code that ran (RAFT's
  `corr_block.build_pyramid()`), and says for the rest where the code refers to them (`record.Idle`,
  see `references`).
- A parameter is named once (tied weights under their first name) when no recorded call read it
  (a call of one of torch's own layers reads that layer's weights), its module was called, and that
  module is the user's (not one of torch's layers, whose use of their weights is torch's business).
"""

from __future__ import annotations

import os
import sys

from torch import nn

from .. import record
from .modules import every_module_path, every_parameter_name, is_script
from .references import Code, Key
from .sourceloc import SourceFinder

_LISTS = (nn.ModuleList, nn.ModuleDict, nn.ParameterList, nn.ParameterDict)


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _is_torch(module: nn.Module) -> bool:
    return type(module).__module__.startswith("torch.")


class _Model:
    """The model's module tree by path, with what the pass did to it."""

    def __init__(self, model: nn.Module, called: set[int], read: set[int]) -> None:
        """`read`: object ids of the parameters and buffers recorded ops read (in the user's code)."""
        self.modules = dict(every_module_path(model))  # a shared module under each path
        self.called = called
        self.unseen = {id(sub) for m in self.modules.values() if is_script(m) for sub in m.modules() if sub is not m}
        self.used: set[str] = set()
        for path, m in self.modules.items():
            own = (*m.parameters(recurse=False), *m.buffers(recurse=False))
            if id(m) in called or any(id(t) in read for t in own):
                self._mark_used(path)

    def _mark_used(self, path: str) -> None:
        while path not in self.used:
            self.used.add(path)
            if not path:
                return
            path = _parent(path)

    def container(self, m: nn.Module) -> bool:
        return isinstance(m, _LISTS) or (isinstance(m, nn.Sequential) and id(m) not in self.called)

    def enclosing(self, path: str) -> tuple[str, list[str]]:
        """The module at or above `path` that is not a container, and the containers passed on the way."""
        passed = []
        while path and self.container(self.modules[path]):
            passed.append(path)
            path = _parent(path)
        return path, passed


def find(
    model: nn.Module, called: set[int], op_reads: set[int], layer_reads: set[int]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(uncalled module paths, unread parameter names) of a finished forward pass; see the module doc.

    Args:
        model: the traced model.
        called: object ids of the modules whose calls hooks saw.
        op_reads: object ids of the model's parameters and buffers that recorded ops read.
        layer_reads: those of called torch layers (their own ops are not recorded; they read them).
    """
    tree = _Model(model, called, op_reads | layer_reads)
    uncalled: dict[str, None] = {}
    for path, m in model.named_modules():
        if not path or path in tree.used or id(m) in tree.unseen or isinstance(m, (nn.ParameterList, nn.ParameterDict)):
            continue
        parent, passed = tree.enclosing(_parent(path))
        if any(p in uncalled for p in passed):
            continue  # inside an unused container that is named already
        owner = tree.modules[parent]
        if id(owner) in called and not _is_torch(owner):
            uncalled[path] = None
    return tuple(uncalled), _unread(model, tree, op_reads | layer_reads)


def _unread(model: nn.Module, tree: _Model, read: set[int]) -> tuple[str, ...]:
    owners: dict[int, list[str]] = {}  # every module path a parameter sits under (tied: several)
    for name, p in every_parameter_name(model):
        owners.setdefault(id(p), []).append(_parent(name))
    found = []
    for name, p in model.named_parameters():
        if id(p) in read:
            continue
        owned = [tree.modules[path] for path in owners[id(p)]]
        if any(id(m) in tree.unseen or is_script(m) for m in owned):
            continue  # inside a TorchScript module: its reads are not seen
        for path in owners[id(p)]:
            owner = tree.modules[tree.enclosing(path)[0]]
            if id(owner) in tree.called and not _is_torch(owner):
                found.append(name)
                break
    return tuple(found)


def _classes(module: nn.Module) -> list[type]:
    """The classes `module`'s code comes from, not torch's own or `object`."""
    return [cls for cls in type(module).__mro__ if cls is not object and not cls.__module__.startswith("torch.")]


def _files(model: nn.Module, finder: SourceFinder) -> tuple[set[str], set[str]]:
    """(the files of the model's classes, library ones included; method names a base class defines)."""
    files: set[str] = set()
    overridden: set[str] = set()
    for cls in dict.fromkeys(type(m) for m in model.modules()):
        for i, base in enumerate(cls.__mro__):
            functions = [f for f in vars(base).values() if hasattr(f, "__code__")]
            if i:
                overridden.update(f.__name__ for f in functions)
            for f in functions:
                name = f.__code__.co_filename
                if not finder.is_skipped(name) and not name.startswith("<"):
                    files.add(name)
    return files, overridden


class _Explainer:
    """Builds `record.Idle` entries: what the code says about each module or parameter the pass left unused."""

    def __init__(self, model: nn.Module, ran: set[Key] | None, finder: SourceFinder) -> None:
        self.modules = dict(model.named_modules(remove_duplicate=False))
        self.finder = finder
        files, self.overridden = _files(model, finder)
        self.code = Code(files, ran, finder)

    def _user(self, module: nn.Module) -> bool:
        """Whether `module`'s class is defined in the user's folder."""
        cls = type(module)
        codes = [f.__code__ for f in vars(cls).values() if hasattr(f, "__code__")]
        name = codes[0].co_filename if codes else getattr(sys.modules.get(cls.__module__), "__file__", None) or ""
        root = self.finder.root
        return root is not None and os.path.abspath(name).startswith(root + os.sep)

    def _owner(self, path: str) -> tuple[str, str]:
        """(the path of the module that holds `path` as an attribute, the attribute's name): containers are
        looked through (`layers.3` -> the holder of `layers`)."""
        parts = path.split(".")
        while len(parts) > 1 and parts[-1].isdigit():
            parts.pop()
        attr = parts[-1]
        owner = ".".join(parts[:-1])
        while owner and isinstance(self.modules.get(owner), _LISTS):
            attr = owner.rpartition(".")[2]
            owner = _parent(owner)
        return owner, attr

    def _entry(self, owner: str) -> str:
        """The outermost library module at or above `owner`, whose maker is the user's code."""
        parts = owner.split(".") if owner else []
        for n in range(len(parts) + 1):
            m = self.modules.get(".".join(parts[:n]))
            if m is not None and not self._user(m) and not isinstance(m, _LISTS):
                return ".".join(parts[:n])
        return owner

    def explain(self, path: str, kind: str, obj: nn.Module | nn.Parameter) -> record.Idle | None:
        """What the code says about module or parameter `path`; None when it is used (through its methods)."""
        owner_path, attr = self._owner(path)
        owner = self.modules.get(owner_path)
        classes = [c.__qualname__ for c in _classes(owner)] if owner is not None else []
        ran, elsewhere, dead = self.code.references(attr, classes, self.overridden)
        if isinstance(obj, nn.Module) and ran and self.code.ran_method([c.__qualname__ for c in _classes(obj)]):
            return None  # used through its methods (RAFT's `corr_block.build_pyramid()`)
        library = owner is not None and not self._user(owner)
        if isinstance(obj, nn.Module):
            params = sum(p.numel() for p in obj.parameters() if not isinstance(p, nn.parameter.UninitializedParameter))
        else:
            params = obj.numel() if not isinstance(obj, nn.parameter.UninitializedParameter) else 0
        return record.Idle(
            path,
            kind,
            type(obj).__name__ if isinstance(obj, nn.Module) else "Parameter",
            params,
            self.code.built(attr, classes),
            library,
            self._entry(owner_path) if library else "",
            tuple(ran[:3]),
            tuple(elsewhere[:3]),
            tuple(dead[:3]),
        )


def explain(
    model: nn.Module, uncalled: tuple[str, ...], unread: tuple[str, ...], ran: set[Key] | None, finder: SourceFinder
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[record.Idle, ...]]:
    """`uncalled` and `unread` without what is used through its methods, and each explained (`record.Idle`).

    Args:
        model: the traced model.
        uncalled, unread: what `find` gave.
        ran: the functions that ran in the pass (`references.RanCode.keys`), None when not watched.
        finder: the trace's source finder (the user's folder, the files that are torch's).
    """
    if not uncalled and not unread:
        return uncalled, unread, ()
    ex = _Explainer(model, ran, finder)
    params = dict(model.named_parameters())
    kept: list[str] = []
    idle: list[record.Idle] = []
    for path in uncalled:
        entry = ex.explain(path, "module", ex.modules[path])
        if entry is not None:
            kept.append(path)
            idle.append(entry)
    for name in unread:
        entry = ex.explain(name, "parameter", params[name])
        if entry is not None:
            idle.append(entry)
    return tuple(kept), unread, tuple(idle)
