"""New model inputs with one axis grown, for tracing where every size comes from (`archviz doctor`).

`axis_groups` groups every dim of every input tensor by its size (dims of one size are assumed to be
one axis); `perturbed` makes a copy of the inputs with one group grown. Paths are those of the
record's `Trace.inputs` (`args[0]`, `kwargs['attention_mask']`, `args[0].data`), found by the same
walk (`walk.walk_args`), so a group's members name the base trace's inputs.

A dim is grown by repeating its last slice: token ids stay in range, masks stay consistent, values
stay realistic. A 1-D integer tensor whose values look like lengths along the grown axis (all in
1…n, the largest n) gets its lengths of n set to the new size, the others kept. A PackedSequence is
grown as the batch of sequences it stands for: its time axis (`.batch_sizes` dim 0) lengthens the
longest sequences, its batch axis (`.sorted_indices`/`.unsorted_indices` dim 0) repeats the last
sequence, a feature dim of `.data` repeats the last feature; `.data` dim 0 (the total number of
steps, Σ lengths) follows them and is no axis of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .walk import _MAX_ITEMS, walk_args

Member = tuple[str, int]  # (input path, dim)
_PACKED_AXES = (".batch_sizes", ".sorted_indices", ".unsorted_indices")
_OnTensor = Callable[[str, torch.Tensor], torch.Tensor]  # (input path, tensor) -> its replacement
_OnPacked = Callable[[str, PackedSequence], Any]


@dataclasses.dataclass(frozen=True)
class AxisGroup:
    """Input dims of one size, taken to be one axis.

    Args:
        id: `g0`, `g1`, … in order of first appearance.
        size: the size they share.
        members: (input path as in `Trace.inputs`, dim) of every dim of that size.
    """

    id: str
    size: int
    members: tuple[Member, ...]


def _packed_paths(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
    """Paths of the PackedSequences among the inputs (their `.data` dim 0 is no axis)."""
    found: list[str] = []

    def seen(path: str, p: PackedSequence) -> PackedSequence:
        found.append(path)
        return p

    _rebuild((args, kwargs), lambda path, t: t, seen)
    return found


def axis_groups(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[AxisGroup]:
    """Every dim of every tensor input, grouped by size (dims of size 1 too; 0-d tensors have none)."""
    packed = {p + ".data" for p in _packed_paths(args, kwargs)}
    found, _ = walk_args(args, kwargs)
    members: dict[int, list[Member]] = {}
    for path, t in found:
        for d, n in enumerate(t.shape):
            if d == 0 and path in packed:
                continue  # Σ lengths: follows the sequences' time and batch axes
            members.setdefault(int(n), []).append((path, d))
    return [AxisGroup(f"g{k}", n, tuple(m)) for k, (n, m) in enumerate(members.items())]


def input_dims(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[AxisGroup]:
    """Every dim of every tensor input as a group of its own, in input order (dims of size 1 too; 0-d
    tensors have none; a PackedSequence's `.data` dim 0 — Σ lengths — follows its time and batch axes)."""
    packed = {p + ".data" for p in _packed_paths(args, kwargs)}
    found, _ = walk_args(args, kwargs)
    dims = [(path, d, int(n)) for path, t in found for d, n in enumerate(t.shape) if not (d == 0 and path in packed)]
    return [AxisGroup(f"d{k}", n, ((path, d),)) for k, (path, d, n) in enumerate(dims)]


def elements(obj: Any) -> int:
    """How many elements the tensors in `obj` (any nesting of containers) hold together."""
    found, _ = walk_args(obj, None)
    return sum(t.numel() for _, t in found)


def perturbed(
    args: tuple[Any, ...], kwargs: dict[str, Any], group: AxisGroup, size: int
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Copies of `args` and `kwargs` with every member dim of `group` grown to `size`.

    Every tensor of the result is new (a model that writes its inputs cannot reach the originals);
    everything else is shared. Raises ValueError when `size` is not larger than the group's size or
    an input cannot be grown.
    """
    if size <= group.size:
        raise ValueError(f"axis {group.id} has size {group.size}: it can only grow, not become {size}")
    grow: dict[str, list[int]] = {}
    for path, d in group.members:
        grow.setdefault(path, []).append(d)

    def tensor(path: str, t: torch.Tensor) -> torch.Tensor:
        out = t
        for d in grow.get(path, ()):
            out = _grown(out, d, size)
        if _looks_like_lengths(t, group.size):
            out = torch.where(out == group.size, torch.full_like(out, size), out)
        out = out.clone() if out is t else out
        return out.requires_grad_() if t.requires_grad and out.is_floating_point() else out

    def packed(path: str, p: PackedSequence) -> PackedSequence:
        return _grown_packed(p, path, grow, size)

    with torch.no_grad():
        new_args, new_kwargs = _rebuild((args, kwargs), tensor, packed)
    return tuple(new_args), dict(new_kwargs)


def _grown(t: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    """`t` with dim `dim` grown to `size` by repeating its last slice (zeros when it has none)."""
    n = t.shape[dim]
    if n == 0:
        shape = list(t.shape)
        shape[dim] = size
        return t.new_zeros(shape)
    index = torch.arange(size, device=t.device).clamp_(max=n - 1)
    return t.index_select(dim, index)


def _looks_like_lengths(t: torch.Tensor, n: int) -> bool:
    """A 1-D integer tensor of values in 1…n whose largest is n: lengths along an axis of size n."""
    if t.dim() != 1 or not t.numel() or t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        return False
    if t.device.type == "meta":
        return False  # no values to look at
    return int(t.max()) == n and int(t.min()) >= 1


def _grown_packed(p: PackedSequence, path: str, grow: dict[str, list[int]], size: int) -> PackedSequence:
    """A PackedSequence grown along the axes of its sequences that the group names."""
    time = 0 in grow.get(path + ".batch_sizes", ())
    batch = any(0 in grow.get(path + part, ()) for part in _PACKED_AXES[1:])
    features = [d for d in grow.get(path + ".data", ()) if d > 0]
    if not (time or batch or features):
        return PackedSequence(p.data.clone(), p.batch_sizes.clone(), *(_copy(t) for t in p[2:]))
    if p.data.device.type == "meta":
        raise ValueError(f"{path} is a PackedSequence on the meta device: its lengths cannot be read")
    padded, lengths = pad_packed_sequence(p, batch_first=True)  # [B, T, *F], in the caller's order
    if time:
        longest = padded.shape[1]
        padded = _grown(padded, 1, size)
        lengths = torch.where(lengths == longest, torch.full_like(lengths, size), lengths)
    if batch:
        padded = _grown(padded, 0, size)
        lengths = _grown(lengths, 0, size)
    for d in features:
        padded = _grown(padded, d + 1, size)
    # packed as it was: sorted by the caller (no indices) or sorted here
    return pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=p.sorted_indices is None)


def _copy(t: torch.Tensor | None) -> torch.Tensor | None:
    return None if t is None else t.clone()


def _rebuild(
    obj: Any,
    tensor: Callable[[str, torch.Tensor], torch.Tensor],
    packed: Callable[[str, PackedSequence], Any],
) -> Any:
    """`(args, kwargs)` rebuilt with `tensor(path, t)` for each tensor and `packed(path, p)` for each
    PackedSequence, walking exactly as `walk.walk_args` does (same paths, same limits)."""
    args, kwargs = obj
    new_args = tuple(_map(a, f"args[{i}]", tensor, packed) for i, a in enumerate(args))
    new_kwargs = {k: _map(v, f"kwargs[{k!r}]", tensor, packed) for k, v in kwargs.items()}
    return new_args, new_kwargs


def _map(obj: Any, path: str, tensor: _OnTensor, packed: _OnPacked) -> Any:
    """Rebuild `obj` at `path` with every tensor and PackedSequence inside it replaced."""
    if isinstance(obj, torch.Tensor):
        return tensor(path, obj)
    if isinstance(obj, PackedSequence):  # a namedtuple too: it must be seen before namedtuples are
        return packed(path, obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _map_dataclass(obj, path, tensor, packed)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple, or torch's return types
        return _map_fields(obj, path, tensor, packed)
    if isinstance(obj, (tuple, list)):
        return _map_items(obj, path, tensor, packed)
    if isinstance(obj, dict):
        return _map_entries(obj, path, tensor, packed)
    return obj


def _map_dataclass(obj: Any, path: str, tensor: _OnTensor, packed: _OnPacked) -> Any:
    """Rebuild a dataclass instance through its init fields; the very object when none is set."""
    changes = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name, None)
        if value is not None and f.init:
            changes[f.name] = _map(value, f"{path}.{f.name}", tensor, packed)
    return dataclasses.replace(obj, **changes) if changes else obj


def _map_fields(obj: Any, path: str, tensor: _OnTensor, packed: _OnPacked) -> Any:
    """Rebuild a namedtuple or a torch return type (a struct sequence) field by field."""
    fields: list[Any] = [
        None if (v := getattr(obj, n)) is None else _map(v, f"{path}.{n}", tensor, packed) for n in obj._fields
    ]
    try:
        return type(obj)(*fields)
    except TypeError:
        return type(obj)(fields)  # a struct sequence takes one sequence


def _map_items(obj: tuple[Any, ...] | list[Any], path: str, tensor: _OnTensor, packed: _OnPacked) -> Any:
    """Rebuild a tuple or list item by item; a longer one than `walk_args` walks into is kept as it is."""
    if len(obj) > _MAX_ITEMS:
        return obj
    items = [_map(v, f"{path}[{i}]", tensor, packed) for i, v in enumerate(obj)]
    return type(obj)(items) if type(obj) in (tuple, list) else _same_kind(obj, items)


def _map_entries(obj: dict[Any, Any], path: str, tensor: _OnTensor, packed: _OnPacked) -> Any:
    """Rebuild a dict value by value; a longer one than `walk_args` walks into is kept as it is."""
    if len(obj) > _MAX_ITEMS:
        return obj
    entries = {k: _map(v, f"{path}[{k!r}]", tensor, packed) for k, v in obj.items()}
    return _same_kind(obj, entries)


def _same_kind(obj: Any, value: Any) -> Any:
    """`value` as the type of `obj` when that type can be made from it, else as the plain type."""
    try:
        return type(obj)(value)
    except TypeError:
        return type(value)(value) if isinstance(value, dict) else tuple(value) if isinstance(obj, tuple) else value
