"""Counts that changed — loop steps and repeated layers — gates of recurrent cells, and model outputs."""

from __future__ import annotations

import re

from ..kinds import CallKind
from ..record import Loop, Rolling, Trace
from .modules import module_parent
from .result import CountChange, GateChange, OutputChange

_INDEX = re.compile(r"\.\d+$")


def loop_key(trace: Trace, lp: Loop, paths: dict[str, str] | None) -> tuple[str, bool, str]:
    """A loop's place: the (NEW-named) module whose forward runs it, repeat or time, and its first call."""
    parent = trace.index.get(lp.parent)
    owner = parent if parent is None or parent.kind == CallKind.MODULE else module_parent(trace, parent)
    where = owner.name if owner is not None else ""
    step = [trace.call(c) for c in lp.steps[0]] if lp.steps else []
    # a step is named by its first module (`cell`), else its first op (`x[:, t]`'s getitem)
    first = next((c for c in step if c.kind == CallKind.MODULE), step[0] if step else None)
    what = ""
    if first is not None:
        what = _INDEX.sub("", first.name) if first.kind == CallKind.MODULE else f"op {first.name}"
    if paths is not None:
        where = paths.get(where, where)
        what = _stack_name(what, paths)
    return (where, lp.repeat, what)


def _stack_name(what: str, paths: dict[str, str]) -> str:
    """A stack's name (`blocks` of `blocks.0`) in NEW's names."""
    if what.startswith("op ") or not what:
        return what
    for first in (what + ".0", what):
        if first in paths:
            return _INDEX.sub("", paths[first])
    return what


def _loop_text(key: tuple[str, bool, str]) -> str:
    where, repeat, what = key
    if repeat:
        return f"{what} (repeated layers)"
    return f"loop over {what} in {where or 'model'}"


def count_changes(old: Trace, new: Trace, ro: Rolling, rn: Rolling, paths: dict[str, str]) -> tuple[CountChange, ...]:
    """Loops and repeated stacks whose count changed, appeared (0 before) or went (0 after)."""
    before: dict[tuple[str, bool, str], int] = {}
    for lp in ro.loops:
        before.setdefault(loop_key(old, lp, paths), lp.count)
    after: dict[tuple[str, bool, str], int] = {}
    for lp in rn.loops:
        after.setdefault(loop_key(new, lp, None), lp.count)
    keys = sorted(set(before) | set(after))
    return tuple(
        CountChange(_loop_text(k), before.get(k, 0), after.get(k, 0))
        for k in keys
        if before.get(k, 0) != after.get(k, 0)
    )


def gate_changes(old: Trace, new: Trace, paths: dict[str, str]) -> tuple[GateChange, ...]:
    """Gates added or removed, cell by cell (a cell: module path, layer, direction)."""

    def cells(trace: Trace, names: dict[str, str] | None) -> dict[tuple[str, int, str], tuple[str, ...]]:
        found: dict[tuple[str, int, str], tuple[str, ...]] = {}
        for cell in trace.cells:
            path = names.get(cell.path, cell.path) if names is not None else cell.path
            found.setdefault((path, cell.layer, str(cell.direction or "")), tuple(g.name for g in cell.gates))
        return found

    co, cn = cells(old, paths), cells(new, None)
    out = []
    for key in sorted(set(co) & set(cn)):
        added = tuple(g for g in cn[key] if g not in co[key])
        removed = tuple(g for g in co[key] if g not in cn[key])
        if added or removed:
            path, layer, direction = key
            name = path + (f" layer {layer}" if layer else "") + (f" {direction}" if direction else "")
            out.append(GateChange(name, added, removed))
    return tuple(out)


def output_changes(old: Trace, new: Trace) -> tuple[OutputChange, ...]:
    """Model outputs (by their place in the returned structure) whose shape changed, appeared or went."""
    so = {t.path: t.shape for t in old.outputs}
    sn = {t.path: t.shape for t in new.outputs}
    paths = [*so, *(p for p in sn if p not in so)]
    return tuple(OutputChange(p, so.get(p), sn.get(p)) for p in paths if so.get(p) != sn.get(p))
