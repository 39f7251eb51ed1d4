"""Work that goes nowhere: registered modules a forward pass never called, parameters nothing read.

Computed once after the pass from what the recorder saw (`Recorder.called`, `Recorder.read`: object
ids), for `Trace.uncalled` and `Trace.unread`. Precision first, so a module or parameter is named
only when the user's own code could have used it and did not:

- A module counts as used when it was called, or anything inside it was called or had a parameter or
  buffer read by a recorded op (a VAE's `encoder.encode(x)` calls the encoder's children, not the
  encoder; a holder of a positional-encoding buffer is read, never called). A weight tied to a torch
  layer that ran was read by that layer, not through this module: an LM's decoder that shares the
  embedding's weight and is never called is named; one whose weight feeds `F.linear` is not.
- Containers (ModuleList, ModuleDict, ParameterList, ParameterDict, and a Sequential nobody called)
  are looked through: a module's parent is the nearest enclosing module that is not one. A container
  is named itself when nothing inside it was used; ParameterList/Dict never are (they hold parameters,
  which `unread` names).
- Only the outermost unused module is named, and only when its parent was called and is not one of
  torch's own layers (nn.MultiheadAttention reads `out_proj`'s weights without calling it).
- Nothing inside a TorchScript module is seen, so nothing there is named.
- A parameter is named once (tied weights under their first name) when no recorded call read it
  (a call of one of torch's own layers reads that layer's weights), its module was called, and that
  module is the user's (not one of torch's layers, whose use of their weights is torch's business).
"""

from __future__ import annotations

from torch import nn

from .modules import every_module_path, every_parameter_name, is_script

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
    tree = _Model(model, called, op_reads)
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
