"""Modules of one record summarised by path, and the matching of OLD's paths to NEW's: the same path
first, then, for what is left, a module of the same structure (type, settings, parameter shapes, and
the same for everything under it) at the same place in the data flow — a rename or a move."""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import INPUT_PRODUCER, CallKind
from ..record import Call, Trace, is_call_id

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Mod:
    """One module path as it ran: its first call's facts and how often it was called.

    Args:
        parent: the path of the nearest enclosing module ('' under the root; None for the root).
        own: the parameters it owns directly, (name, shape).
        feeds: where its first call's inputs came from (`input`, a module path, `add@blocks.0`).
    """

    path: str
    type: str
    params: int
    own: tuple[tuple[str, Shape], ...]
    settings: str
    ins: tuple[Shape, ...]
    outs: tuple[Shape, ...]
    calls: int
    first: str
    order: int
    parent: str | None
    feeds: tuple[str, ...]


def module_parent(trace: Trace, c: Call) -> Call | None:
    """The nearest enclosing module call of `c` (None for the root)."""
    p = c.parent
    while p is not None:
        up = trace.call(p)
        if up.kind == CallKind.MODULE:
            return up
        p = up.parent
    return None


def anchor(trace: Trace, producer: str | None) -> str:
    """Where a tensor came from, named by module path: `input`, `blocks.0.ff`, `add@blocks.0`, `?`."""
    if producer == INPUT_PRODUCER:
        return INPUT_PRODUCER
    if not is_call_id(producer) or producer not in trace.index:
        return "?"
    c = trace.call(producer)
    if c.kind == CallKind.MODULE:
        return c.name
    owner = module_parent(trace, c)
    return f"{c.name}@{owner.name if owner else ''}"


def modules(trace: Trace) -> dict[str, Mod]:
    """Every module path that ran, in the order of its first call."""
    settings = {s.path: s.text for s in trace.settings}
    found: dict[str, Mod] = {}
    counts: dict[str, int] = {}
    for c in trace.calls:
        if c.kind != CallKind.MODULE:
            continue
        counts[c.name] = counts.get(c.name, 0) + 1
        if c.name in found:
            continue
        up = module_parent(trace, c)
        found[c.name] = Mod(
            path=c.name,
            type=c.type,
            params=c.params,
            own=tuple((p.name, p.shape) for p in c.param_list),
            settings=settings.get(c.name, ""),
            ins=tuple(t.shape for t in c.inputs),
            outs=tuple(t.shape for t in c.outputs),
            calls=0,
            first=c.id,
            order=len(found),
            parent=None if up is None else up.name,
            feeds=tuple(anchor(trace, t.producer) for t in c.inputs),
        )
    return {p: _with_calls(m, counts[p]) for p, m in found.items()}


def _with_calls(m: Mod, calls: int) -> Mod:
    return Mod(m.path, m.type, m.params, m.own, m.settings, m.ins, m.outs, calls, m.first, m.order, m.parent, m.feeds)


def signatures(mods: dict[str, Mod]) -> dict[str, tuple[object, ...]]:
    """A structural key per path: type, settings, own parameter shapes and its children's keys, in order.

    Children run inside their parent, after its start: walking the first calls backwards meets every
    child before its parent.
    """
    kids: dict[str | None, list[str]] = {}
    for m in mods.values():
        kids.setdefault(m.parent, []).append(m.path)
    sig: dict[str, tuple[object, ...]] = {}
    for m in sorted(mods.values(), key=lambda m: -m.order):
        inner = tuple(sig[k] for k in kids.get(m.path, ()) if k in sig)
        sig[m.path] = (m.type, m.settings, m.own, inner)
    return sig


def match(old: dict[str, Mod], new: dict[str, Mod]) -> dict[str, str]:
    """OLD path -> NEW path: equal paths, then renames and moves found by structure."""
    mapping = {p: p for p in old if p in new}
    left_old = [p for p in old if p not in mapping]
    left_new = {p for p in new if p not in old}
    if not left_old or not left_new:
        return mapping
    sig_old, sig_new = signatures(old), signatures(new)
    taken: set[str] = set()
    for o in sorted(left_old, key=lambda p: (p.count("."), old[p].order)):
        if o in mapping:
            continue  # mapped with its renamed parent
        cands = [n for n in sorted(left_new - taken, key=lambda p: new[p].order) if sig_new[n] == sig_old[o]]
        best = _best(o, cands, old, new, mapping)
        if best is None:
            continue
        for sub in _subtree(old, o):
            target = best + sub[len(o) :]
            if target in new and target not in taken and sub not in mapping:
                mapping[sub] = target
                taken.add(target)
    return mapping


def _subtree(mods: dict[str, Mod], path: str) -> list[str]:
    return [p for p in mods if p == path or p.startswith(path + ".")]


def _best(o: str, cands: list[str], old: dict[str, Mod], new: dict[str, Mod], mapping: dict[str, str]) -> str | None:
    """The candidate at the most similar place: the same (mapped) parent and inputs, then the nearest in order.

    A candidate must read its inputs from the same (mapped) place: an equal layer elsewhere in the data flow
    is another layer, not the same one moved.
    """
    if not cands:
        return None
    mo = old[o]

    def place(n: str) -> tuple[int, int, float, str]:
        mn = new[n]
        same_parent = mapping.get(mo.parent or "", None) == mn.parent if mo.parent is not None else mn.parent is None
        same_feeds = _mapped_feeds(mo.feeds, mapping) == mn.feeds
        distance = abs(mo.order / max(len(old), 1) - mn.order / max(len(new), 1))
        return (0 if same_parent else 1, 0 if same_feeds else 1, distance, n)

    best = min(cands, key=place)
    return None if place(best)[1] else best


def _mapped_feeds(feeds: tuple[str, ...], mapping: dict[str, str]) -> tuple[str, ...]:
    """OLD's input anchors in NEW's names (`add@enc.ff` -> `add@enc.mlp`)."""
    out = []
    for f in feeds:
        op, at, where = f.rpartition("@")
        out.append(f"{op}@{mapping.get(where, where)}" if at else mapping.get(f, f))
    return tuple(out)
