"""What the recorder knows about a module before it runs: facts that hold for all its calls.

TorchScript or one of torch's own layers, its tied weights, its forward's argument names, where it
is defined, which layout rule names its inputs: computed once per module and trace (`Statics`).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from .. import record
from . import layouts
from .sourceloc import SourceFinder
from .walk import dtype_name


def is_builtin_leaf(module: nn.Module) -> bool:
    """True for a torch.nn layer with no children: its inner ops are its implementation."""
    return type(module).__module__.startswith("torch.") and not module._modules


def is_script(module: nn.Module) -> bool:
    """A TorchScript module (scripted or traced): it runs outside Python, so nothing inside is seen."""
    return isinstance(module, torch.jit.ScriptModule)


MAX_PATHS = 100_000  # names walked per model: a module shared along many paths is not walked out exponentially


def every_module_path(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """(path, module) under every path that reaches it, as `named_modules(remove_duplicate=False)` gives
    them, but safe on a module that contains itself (`self.me = self`), on which that call recurses
    forever: a module already on the current path is not entered again; at most MAX_PATHS paths."""
    stack: list[tuple[nn.Module, str, frozenset[int]]] = [(model, "", frozenset())]
    walked = 0
    while stack and walked < MAX_PATHS:
        module, path, above = stack.pop()
        walked += 1
        yield path, module
        inside = above | {id(module)}
        for name, child in reversed(module._modules.items()):
            if child is not None and id(child) not in inside:
                stack.append((child, f"{path}.{name}" if path else name, inside))


def every_parameter_name(model: nn.Module) -> Iterator[tuple[str, nn.Parameter]]:
    """(name, parameter) under every path that reaches it (`named_parameters(remove_duplicate=False)`,
    safe on a module that contains itself)."""
    for path, module in every_module_path(model):
        for name, p in module._parameters.items():
            if p is not None:
                yield (f"{path}.{name}" if path else name), p


def tied_parameters(model: nn.Module) -> dict[int, tuple[str, ...]]:
    """Parameters held by more than one module (tied weights), by object id, with every name they have.

    One module registered under two names (a TCN's `self.conv1`, also `self.net[0]`) is not tying."""
    names: dict[int, list[str]] = {}
    holders: dict[int, set[int]] = {}
    for path, m in model.named_modules():  # each module once, under its first name
        for own, p in own_parameters(m):
            names.setdefault(id(p), []).append(f"{path}.{own}" if path else own)
            holders.setdefault(id(p), set()).add(id(m))
    return {k: tuple(v) for k, v in names.items() if len(holders[k]) > 1}


def class_name(module: nn.Module) -> str:
    """The class a module is drawn as: a TorchScript module's original class, else its own. Read only from
    a script module: a catch-all `__getattr__` would answer `original_name` with anything."""
    original = getattr(module, "original_name", None) if is_script(module) else None
    return original if isinstance(original, str) and original else type(module).__name__


def callee(module_path: str) -> str:
    """How a module is named where it is called: `cells` for `cells.0`, `drop` for `encoder.drop`."""
    parts = [p for p in module_path.split(".") if p and not p.isdigit()]
    return parts[-1] if parts else ""


class Statics:
    """The facts of each module seen in one trace, by object id (valid while the model is alive)."""

    def __init__(self, finder: SourceFinder) -> None:
        self.finder = finder
        self.cache: dict[int, dict[str, Any]] = {}
        self.arg_cache: dict[type, tuple[str, ...]] = {}
        self.counts: dict[int, int] = {}  # module id -> parameters in its subtree (`_params`)
        self.pending: dict[int, tuple[dict[int, int], int, bool]] = {}  # subtrees not yet merged into a parent

    def of(self, module: nn.Module, names: dict[int, str], tied: dict[int, tuple[str, ...]]) -> dict[str, Any]:
        """What does not change between calls of `module`; `names`: module paths, `tied`: see tied_parameters."""
        info = self.cache.get(id(module))
        if info is None:
            name = names.get(id(module), type(module).__name__)
            script = is_script(module)
            leaf = not script and is_builtin_leaf(module)
            arg_names = () if script else self._arg_names(type(module))
            own = own_parameters(module)
            info = {
                "name": name,
                "type": class_name(module),
                "source": None if script else self._forward_source(module),
                "params": self._params(module),
                "param_list": tuple(
                    record.ParamMeta(n, tuple(p.shape), dtype_name(p.dtype), p.requires_grad) for n, p in own
                ),
                "arg_names": arg_names,
                "leaf": script or leaf,
                # a torch layer's own ops are not recorded: a call of it reads its weights (it has no children)
                "reads": tuple(id(p) for _, p in own) + _own_buffer_ids(module) if leaf else (),
                "layout": None if script else layouts.for_module(module, arg_names),
                "notes": (("TorchScript: not traced inside",) if script else ()) + _tied_notes(name, own, tied),
                "settings": _settings(module) if leaf else "",
            }
            self.cache[id(module)] = info
        return info

    def _params(self, module: nn.Module) -> int:
        """`sum(p.numel() for p in module.parameters())`, each parameter once, in time near-linear in the
        model: each subtree's parameters are counted once and merged into its parent's, smaller into larger
        (200 nested modules asked each of their subtrees again, through generators as deep as the module).
        A subtree with a lazy layer's uninitialised weights counts them as 0 and is counted again later."""
        todo: list[tuple[nn.Module, bool]] = [(module, False)]
        total = 0
        while todo:
            m, ready = todo.pop()
            if id(m) in self.counts:
                continue
            kids = [c for c in dict.fromkeys(m._modules.values()) if c is not None and c is not m]
            if not ready:
                todo.append((m, True))
                todo.extend((c, False) for c in kids if id(c) not in self.counts)
                continue
            merged, total, lazy = _merged(m, [self.pending.pop(id(c), None) for c in kids])
            self.pending[id(m)] = (merged, total, lazy)
            if not lazy:
                self.counts[id(m)] = total
        return self.counts.get(id(module), total)

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


_SETTINGS_CHARS = 300  # a layer's settings kept in the record


def _settings(module: nn.Module) -> str:
    """A torch layer's constructor settings as it prints them (`8, 8, kernel_size=(3,), dilation=(2,)`);
    torch's own `extra_repr`, so no user code runs, and '' if it fails."""
    try:
        text = module.extra_repr()
    except Exception:  # noqa: BLE001  (a subclass's override: the settings are an aid, never a failure)
        return ""
    return " ".join(text.split())[:_SETTINGS_CHARS] if isinstance(text, str) else ""


def _tied_notes(name: str, own: list[tuple[str, nn.Parameter]], tied: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
    notes = []
    for key, p in own:
        here = f"{name}.{key}" if name else key
        others = [n for n in tied.get(id(p), ()) if n != here]
        if others:
            notes.append(f"{key} tied with {', '.join(others)}")
    return tuple(notes)


def own_parameters(module: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """`module.named_parameters(recurse=False)`, read from its `_parameters` directly (the generator
    machinery of `named_parameters` was a fifth of a module call's recording on a 12-layer transformer)."""
    seen: set[int] = set()
    found = []
    for key, p in module._parameters.items():
        if p is not None and id(p) not in seen:
            seen.add(id(p))
            found.append((key, p))
    return found


def _own_buffer_ids(module: nn.Module) -> tuple[int, ...]:
    """Ids of `module.buffers(recurse=False)`, each once."""
    return tuple(dict.fromkeys(id(b) for b in module._buffers.values() if b is not None))


def _merged(m: nn.Module, parts: list[tuple[dict[int, int], int, bool] | None]) -> tuple[dict[int, int], int, bool]:
    """{parameter id: numel} of `m`'s subtree, its total, and whether a lazy layer's weights are still
    uninitialised in it, from its children's (`parts`), the smaller merged into the larger; counted afresh
    when a child's is gone (shared with another parent, a cycle)."""
    if any(part is None for part in parts):
        params = list(m.parameters())
        merged = {id(p): 0 if is_lazy(p) else p.numel() for p in params}
        return merged, sum(merged.values()), any(is_lazy(p) for p in params)
    full = [part for part in parts if part is not None]
    merged, count, lazy = max(full, key=lambda part: len(part[0])) if full else ({}, 0, False)
    for ids, _, later in (part for part in full if part[0] is not merged):
        count += sum(n for k, n in ids.items() if k not in merged)
        merged.update(ids)
        lazy = lazy or later
    for p in m._parameters.values():
        if p is not None and id(p) not in merged:
            merged[id(p)] = 0 if is_lazy(p) else p.numel()
            count += merged[id(p)]
            lazy = lazy or is_lazy(p)
    return merged, count, lazy
