"""Checkpoint compatibility (OLD's state dict loaded into NEW) and the totals of each side."""

from __future__ import annotations

from ..kinds import CallKind
from ..record import Trace
from .result import Checkpoint, Shape, Totals


def state_keys(trace: Trace, full: bool = True) -> dict[str, Shape]:
    """The state-dict keys and shapes: the record's own (`full`), or those of the parameters of the modules
    that ran (what a record without its state dict can say; both sides are then read this way)."""
    if full and trace.state:
        return {e.key: e.shape for e in trace.state}
    keys: dict[str, Shape] = {}
    for c in trace.calls:
        if c.kind == CallKind.MODULE:
            for p in c.param_list:
                keys.setdefault(f"{c.name}.{p.name}" if c.name else p.name, p.shape)
    return keys


def _renamed(key: str, paths: dict[str, str]) -> str:
    """`key` with its module path translated (the longest renamed prefix wins)."""
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in paths:
            return ".".join([paths[prefix], *parts[cut:]])
    return key


def checkpoint(old: Trace, new: Trace, paths: dict[str, str]) -> Checkpoint:
    """What `new_model.load_state_dict(old_state_dict)` would say, and the rename map that mends renames."""
    full = bool(old.state and new.state)
    ko, kn = state_keys(old, full), state_keys(new, full)
    moved = {p: q for p, q in paths.items() if p != q}
    renames = []
    for key in ko:
        target = _renamed(key, moved)
        if target != key and target in kn and key not in kn:
            renames.append((key, target))
    mapped = dict(renames)
    seen_new = {mapped.get(k, k) for k in ko}
    missing = tuple((k, s) for k, s in kn.items() if k not in seen_new)
    unexpected = tuple((k, s) for k, s in ko.items() if mapped.get(k, k) not in kn)
    mismatched = tuple(
        (k, s, kn[mapped.get(k, k)]) for k, s in ko.items() if mapped.get(k, k) in kn and kn[mapped.get(k, k)] != s
    )
    return Checkpoint(missing, unexpected, mismatched, tuple(renames), complete=full)


def totals(trace: Trace) -> Totals:
    """Parameters (each once), buffers and their values when recorded, and the ops drawn (no bookkeeping)."""
    params = trace.calls[0].params if trace.calls else 0
    ops = sum(1 for c in trace.calls if c.kind == CallKind.OP and not c.bookkeeping)
    if not trace.state:
        return Totals(params, None, None, ops)
    buffers = [e for e in trace.state if e.buffer]
    values = sum(_numel(e.shape) for e in buffers)
    return Totals(params, len(buffers), values, ops)


def _numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
