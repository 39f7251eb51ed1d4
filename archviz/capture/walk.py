"""Walk argument and output structures into (path, tensor) pairs and non-tensor summaries."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from .. import record

_MAX_ITEMS = 4096  # containers longer than this are summarised, so a list of a million tensors stays cheap


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

    With `kwargs` None, `args` is one object walked under `root` (used for outputs).
    """
    tensors: list[tuple[str, torch.Tensor]] = []
    others: list[tuple[str, str]] = []
    if kwargs is None:
        _walk(args, root, tensors, others)
        return tensors, others
    for i, a in enumerate(args):
        _walk(a, f"args[{i}]", tensors, others)
    for k, v in kwargs.items():
        _walk(v, k if plain_kwargs else f"kwargs[{k!r}]", tensors, others)
    return tensors, others


def _walk(obj: Any, path: str, tensors: list[tuple[str, torch.Tensor]], others: list[tuple[str, str]]) -> None:
    if isinstance(obj, torch.Tensor):
        tensors.append((path, obj))
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):  # also Hugging Face's ModelOutput
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name, None)
            if value is not None:
                _walk(value, f"{path}.{f.name}", tensors, others)
    elif isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple, PackedSequence
        for name in obj._fields:
            value = getattr(obj, name)
            if value is not None:
                _walk(value, f"{path}.{name}", tensors, others)
    elif isinstance(obj, (tuple, list)):
        if len(obj) > _MAX_ITEMS:
            others.append((path, f"{type(obj).__name__} of {len(obj)}"))
            return
        for i, v in enumerate(obj):
            _walk(v, f"{path}[{i}]", tensors, others)
    elif isinstance(obj, dict):
        if len(obj) > _MAX_ITEMS:
            others.append((path, f"dict of {len(obj)}"))
            return
        for k, v in obj.items():
            _walk(v, f"{path}[{k!r}]", tensors, others)
    elif len(others) < _MAX_ITEMS:
        others.append((path, summarise(obj)))
