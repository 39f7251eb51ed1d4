"""Walk argument and output structures into (path, tensor) pairs and non-tensor summaries."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any, cast

import torch

from .. import record

_MAX_ITEMS = 4096  # containers longer than this are summarised, so a list of a million tensors stays cheap:
_KEPT = 64  # only their first items are walked (drawn), and the summary says how many there were


_DTYPE_NAMES: dict[torch.dtype, str] = {}
_DEVICE_NAMES: dict[torch.device, str] = {}


def dtype_name(dtype: torch.dtype) -> str:
    """`float32` for torch.float32 (cached: this runs for every tensor seen)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


def tensor_meta(path: str, t: torch.Tensor, tid: str, producer: str | None) -> record.TensorMeta:
    """Describe one tensor without keeping it."""
    device = t.device
    shown = _DEVICE_NAMES.get(device)
    if shown is None:
        shown = _DEVICE_NAMES[device] = str(device)
    meta = record.TensorMeta(path, tuple(t.shape), dtype_name(t.dtype), shown, tid, producer)
    return meta if t.layout == torch.strided else _sparse(meta, t)


def _sparse(meta: record.TensorMeta, t: torch.Tensor) -> record.TensorMeta:
    """The layout (`sparse_coo`, `sparse_csr`) and stored-value count of a sparse tensor."""
    layout = str(t.layout).removeprefix("torch.")
    try:
        nnz: int | None = int(t._nnz())
    except (RuntimeError, NotImplementedError):  # a layout that keeps no count
        nnz = None
    return dataclasses.replace(meta, layout=layout, nnz=nnz)


def summarise(value: Any) -> str:
    """Short text for a non-tensor argument: scalars as written, other objects by type."""
    if isinstance(value, slice):
        text = ":".join("" if v is None else str(v) for v in (value.start, value.stop))
        return text + (f":{value.step}" if value.step is not None else "")
    if value is None or isinstance(value, (bool, int, float, complex, str, torch.dtype, torch.device)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if value is Ellipsis:
        return "..."
    if isinstance(value, torch.Size):
        return record.shape_text(tuple(value))
    return type(value).__name__


def walk_args(
    args: Any,
    kwargs: dict[str, Any] | None,
    *,
    root: str = "args",
    plain_kwargs: bool = False,
) -> tuple[list[tuple[str, torch.Tensor]], list[tuple[str, str]]]:
    """Return the tensors inside `args`/`kwargs` with their paths, and summaries of the rest.

    With `kwargs` None, `args` is one object walked under `root` (used for outputs); an output also
    shows the tensors a plain object holds in its attributes (a Hugging Face `DynamicCache`).

    Paths: a mapping's items as `['key']` (a dict, and a Hugging Face `ModelOutput`, which is one:
    `output['logits']`), a dataclass's or namedtuple's fields as `.name`, a sequence's items as `[i]`,
    an object's attributes as `.name` (`output['past_key_values'].layers[0].keys`).
    """
    tensors: list[tuple[str, torch.Tensor]] = []
    others: list[tuple[str, str]] = []
    walker = _Walker(tensors, others)
    if kwargs is None:
        walker.objects = root == "output"
        walker.walk(args, root)
        return tensors, others
    for i, a in enumerate(args):
        walker.walk(a, f"args[{i}]")
    for k, v in kwargs.items():
        walker.walk(v, k if plain_kwargs else f"kwargs[{k!r}]")
    return tensors, others


_OBJECT_DEPTH = 6  # how deep an output's plain objects are looked into (a cache of caches of layers)


class _Walker:
    """One walk: where tensors and summaries go, and the plain objects already looked into."""

    def __init__(self, tensors: list[tuple[str, torch.Tensor]], others: list[tuple[str, str]]) -> None:
        self.tensors, self.others = tensors, others
        self.objects = False  # look into plain objects' attributes (outputs only)
        self.seen: set[int] = set()

    def walk(self, obj: Any, path: str, depth: int = 0) -> None:
        if isinstance(obj, torch.Tensor):
            self.tensors.append((path, obj))
        elif isinstance(obj, Mapping):  # before dataclasses: a ModelOutput is both, and spelled as a mapping
            self._items(obj, path, depth)
        elif (dataclasses.is_dataclass(obj) and not isinstance(obj, type)) or (
            isinstance(obj, tuple) and hasattr(obj, "_fields")  # namedtuple, PackedSequence
        ):
            self._fields(obj, path, depth)
        elif isinstance(obj, (tuple, list)):
            if len(obj) > _MAX_ITEMS:
                self.others.append((path, f"{type(obj).__name__} of {len(obj):,}: the first {_KEPT} kept"))
            for i, v in enumerate(obj[:_KEPT] if len(obj) > _MAX_ITEMS else obj):
                self.walk(v, f"{path}[{i}]", depth + 1)
        elif self.objects and depth < _OBJECT_DEPTH and _plain_object(obj) and id(obj) not in self.seen:
            self._attributes(obj, path, depth)
        elif len(self.others) < _MAX_ITEMS:
            self.others.append((path, summarise(obj)))

    def _fields(self, obj: Any, path: str, depth: int) -> None:
        names = cast(Any, obj)._fields if isinstance(obj, tuple) else [f.name for f in dataclasses.fields(obj)]
        for name in names:
            value = getattr(obj, name, None)
            if value is not None:
                self.walk(value, f"{path}.{name}", depth + 1)

    def _attributes(self, obj: Any, path: str, depth: int) -> None:
        """A plain object an output holds (a cache): its public attributes, or its summary if no tensor."""
        self.seen.add(id(obj))
        found = len(self.tensors)
        for name, value in vars(obj).items():
            if not name.startswith("_") and value is not None:
                self.walk(value, f"{path}.{name}", depth + 1)
        if len(self.tensors) == found and len(self.others) < _MAX_ITEMS:
            self.others.append((path, summarise(obj)))

    def _items(self, obj: Mapping[Any, Any], path: str, depth: int) -> None:
        if len(obj) > _MAX_ITEMS:
            self.others.append((path, f"{type(obj).__name__} of {len(obj):,}: the first {_KEPT} kept"))
        for k, v in itertools.islice(obj.items(), _KEPT if len(obj) > _MAX_ITEMS else None):
            self.walk(v, f"{path}[{k!r}]", depth + 1)


def _plain_object(obj: Any) -> bool:
    """An instance of a user or library class that keeps its state in attributes (not a module, a type,
    a function, or a builtin value)."""
    return (
        hasattr(obj, "__dict__")
        and not isinstance(obj, (type, torch.nn.Module, BaseException))
        and not callable(getattr(obj, "__func__", None))
        and type(obj).__module__ not in ("builtins", "types", "functools")
        and not type(obj).__module__.startswith("torch")
    )


def capped(others: list[tuple[str, str]]) -> tuple[str, ...]:
    """Notes for the containers too long to walk whole (`output is a dict of 10,000: the first 64 kept`)."""
    tail = f": the first {_KEPT} kept"
    return tuple(
        f"{path} is a {summary[: -len(tail)]}: only its first {_KEPT} items are recorded and drawn"
        for path, summary in others
        if summary.endswith(tail)
    )
