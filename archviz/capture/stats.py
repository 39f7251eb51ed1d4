"""The spread of sigmoid and tanh values (saturation, a 10-bin histogram), without keeping the values.

One fine histogram (100 bins for sigmoid, 200 for tanh: bins of 0.01) gives both the 10 coarse bins
and the saturated fractions (the first and last fine bin). A value's bin is `⌊(v − low)·100⌋`
computed in the tensor's dtype (as `torch.histc` does), the maximum in the last bin, so a value
within float rounding of a saturation bound may be counted on either side of it; NaN is counted in
`count` but in no bin.

Cost, measured on the 200-step hand-written GRU example (1,200 gate outputs): +5 % trace time.
- A custom cell makes a few small gate tensors per step, and a histogram op each would cost more
  than recording the op. So small float outputs wait in `Pending` (kept, not copied: fewer than
  `_STEP` values per kind and dtype, 256 KB at most in all; one the model writes in place before
  they are counted gets no stats) and are counted together, a few ops per batch.
- Every op here is serial: it reads and makes at most `_STEP` values (below ATen's grain size),
  with no boolean masks, no repeat_interleave and no `torch.histc` (all of which use torch's thread
  pool, even for a few thousand values). Waking the pool from inside a trace made the whole trace
  1.7× slower on two cores.
- Large outputs are counted at once, `_STEP` values at a time (half precision widened piece by
  piece): nothing of their size is allocated.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from .. import kinds, record
from ..kinds import Activation
from .tensors import version

SIGMOID = Activation.SIGMOID
TANH = Activation.TANH
_RANGE: dict[str, tuple[float, float]] = {SIGMOID: (0.0, 1.0), TANH: (-1.0, 1.0)}
_FINE: dict[str, int] = {SIGMOID: 100, TANH: 200}  # bins of width 0.01: the first and last are the saturated ones
_COARSE = 10
_STEP = 1 << 14  # values per op (ATen runs elementwise ops on fewer than 32768 values in this thread)
_SMALL = 1 << 12  # outputs up to this many values wait for a batch
_LIMIT = _STEP - _SMALL  # values waiting per kind and dtype before they are counted: within _STEP
_BATCHED = (torch.float32, torch.float64)

# Ops (by recorded name) and modules whose output values are summarised in `record.Call.stats`.
ACTIVATION_OPS = {op: a for op, a in kinds.ACTIVATION_OPS.items() if a in _RANGE}  # sigmoid and tanh
ACTIVATION_MODULES: dict[type[nn.Module], str] = {nn.Sigmoid: SIGMOID, nn.Tanh: TANH}


def has_values(t: object) -> bool:
    """True for a plain real floating tensor with values (not meta, not a subclass, not sparse)."""
    return type(t) is torch.Tensor and t.is_floating_point() and t.device.type != "meta" and t.layout == torch.strided


def _bins(kind: str, values: torch.Tensor, owner: torch.Tensor | None = None, owners: int = 1) -> torch.Tensor:
    """Fine-bin counts of 1-D `values` [owners, bins]; `owner` gives each value's row (one row if None)."""
    low, high = _RANGE[kind]
    bins = _FINE[kind]
    if values.dtype not in _BATCHED:
        values = values.float()
    fine = ((values - low) * (bins / (high - low))).long().clamp_(0, bins - 1)
    if owner is not None:
        fine += owner * bins
    inside = (values >= low) & (values <= high)  # NaN and values out of range: counted in no bin
    counted = torch.where(inside, fine, owners * bins)
    return torch.bincount(counted, minlength=owners * bins + 1)[:-1].view(owners, bins)


def _pieces(t: torch.Tensor) -> Iterator[torch.Tensor]:
    """The values of `t` as 1-D views of at most `_STEP` values (no copy of a strided tensor either)."""
    if t.is_contiguous() or t.dim() <= 1:
        flat = t.reshape(-1)
        for start in range(0, flat.numel(), _STEP):
            yield flat[start : start + _STEP]
    else:
        for row in t:
            yield from _pieces(row)


class Spread:
    """Counts of one activation's values, added tensor by tensor (a gate over time steps)."""

    __slots__ = ("counts", "kind", "total")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.counts: torch.Tensor | None = None  # fine bins
        self.total = 0

    def add(self, t: torch.Tensor) -> None:
        """Count the values of `t` (the caller checked `has_values`)."""
        self.total += t.numel()
        for piece in _pieces(t.detach()):
            got = _bins(self.kind, piece)[0]
            self.counts = got if self.counts is None else self.counts.add_(got)

    def stats(self) -> record.Stats:
        """The record's summary: count, saturated fractions, 10 coarse bins."""
        counts = self.counts.tolist() if self.counts is not None else [0] * _FINE[self.kind]
        return _summary(self.kind, self.total, counts)


def _summary(kind: str, n: int, counts: list[int]) -> record.Stats:
    hist = tuple(map(sum, zip(*[iter(counts)] * (len(counts) // _COARSE), strict=True)))
    return record.Stats(kind, n, counts[0] / n if n else 0.0, counts[-1] / n if n else 0.0, hist)


def spread(kind: str, t: object) -> record.Stats | None:
    """Stats of one tensor of sigmoid or tanh values; None when it holds no real float values."""
    if not has_values(t):
        return None
    assert isinstance(t, torch.Tensor)
    try:
        acc = Spread(kind)
        acc.add(t)
    except (RuntimeError, TypeError, ValueError):  # an op a backend lacks: no stats, never a failed trace
        return None
    return acc.stats()


class Pending:
    """Stats of many outputs, most counted together: `add` now, `flush` before the record is frozen."""

    def __init__(self) -> None:
        # per kind and dtype: (call, output, its version) — kept, not copied: small, its own storage
        # (not a view of something big), and its version says at the flush whether it was written since
        self.items: dict[tuple[str, torch.dtype], list[tuple[dict[str, Any], torch.Tensor, int]]] = {}
        self.sizes: dict[tuple[str, torch.dtype], int] = {}

    def add(self, call: dict[str, Any], kind: str, t: object) -> None:
        """Set `call["stats"]` from the values of `t` (now, or at the next flush); nothing for no values."""
        if type(t) is not torch.Tensor:
            return
        dtype = t.dtype
        if (dtype is torch.float32 or dtype is torch.float64) and t.is_cpu and t._base is None:
            n, v = t.numel(), version(t)
            if n <= _SMALL and v >= 0 and t.layout is torch.strided:  # (an inference tensor has no version)
                key = (kind, dtype)
                waiting = self.items.get(key)
                if waiting is None:
                    waiting = self.items[key] = []
                    self.sizes[key] = 0
                waiting.append((call, t, v))
                size = self.sizes[key] = self.sizes[key] + n
                if size > _LIMIT or len(waiting) * _FINE[kind] >= _STEP:  # values, or bins of the batch
                    self._flush(key)
                return
        if has_values(t):
            call["stats"] = spread(kind, t)

    def flush(self) -> None:
        """Count everything waiting (an output written in place since it was made gets no stats)."""
        for key in list(self.items):
            self._flush(key)

    def _flush(self, key: tuple[str, torch.dtype]) -> None:
        waiting = self.items.pop(key, [])
        self.sizes.pop(key, None)
        try:
            with torch.no_grad():  # (outputs of a pass with autograd on: no graph for the counting)
                _count_together(key[0], [(call, t) for call, t, v in waiting if version(t) == v])
        except (RuntimeError, TypeError, ValueError):  # no stats, never a failed trace
            pass


def _count_together(kind: str, items: list[tuple[dict[str, Any], torch.Tensor]]) -> None:
    """The stats of each item (of one dtype), from one pass over all their values."""
    sizes = [t.numel() for _, t in items]
    if 0 in sizes:
        for (call, _), n in zip(items, sizes, strict=True):
            if not n:
                call["stats"] = record.Stats(kind, 0, 0.0, 0.0, (0,) * _COARSE)
        items = [item for item, n in zip(items, sizes, strict=True) if n]
        sizes = [n for n in sizes if n]
    if not items:
        return
    tensors = [t for _, t in items]
    try:
        values = torch.cat(tensors).reshape(-1)  # the usual case: one shape, one step after another
    except RuntimeError:
        values = torch.cat([t.reshape(-1) for t in tensors])
    owner = torch.zeros(values.numel(), dtype=torch.long)
    owner[torch.tensor(list(itertools.accumulate(sizes[:-1])), dtype=torch.long)] = 1
    k, bins = len(items), _FINE[kind]
    counts = _bins(kind, values, owner.cumsum_(0), k)
    coarse = counts.view(k, _COARSE, bins // _COARSE).sum(-1).tolist()
    lows, highs = counts[:, 0].tolist(), counts[:, -1].tolist()
    for (call, _), n, hist, lo, hi in zip(items, sizes, coarse, lows, highs, strict=True):
        call["stats"] = record.Stats(kind, n, lo / n, hi / n, tuple(hist))
