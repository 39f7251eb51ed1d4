"""OLD's calls aligned with NEW's, parent by parent, and what the alignment shows: ops added or removed,
edge shapes changed, inputs read from elsewhere, residuals added or removed.

Children are aligned as sequences (difflib's longest matching blocks: deterministic): a module child by
its path (OLD's translated through the path map), an op by its name. Bookkeeping calls (shape queries,
dtype moves) are left out on both sides.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from ..kinds import INPUT_PRODUCER, CallKind
from ..record import Call, TensorMeta, Trace, is_call_id
from .modules import module_parent
from .result import EdgeChange, OpChange, Wiring

RESIDUAL_OPS = {"add", "add_", "__add__", "__radd__", "__iadd__", "iadd"}
_BACK_LIMIT = 2000  # calls walked back from an operand when looking for a skip connection


def _key(c: Call, paths: dict[str, str] | None) -> tuple[str, str]:
    if c.kind == CallKind.MODULE:
        if paths is None:
            return ("m", c.name)
        return ("m", paths[c.name]) if c.name in paths else ("gone", c.name)
    return ("o", c.name)


def _kids(trace: Trace, call_id: str) -> list[Call]:
    return [c for c in trace.index.children(call_id) if not c.bookkeeping]


def align(old: Trace, new: Trace, paths: dict[str, str]) -> dict[str, str]:
    """OLD call id -> NEW call id for the calls that correspond, from the roots down."""
    if not old.calls or not new.calls:
        return {}
    pairs = {old.calls[0].id: new.calls[0].id}
    stack = [(old.calls[0].id, new.calls[0].id)]
    while stack:
        a, b = stack.pop()
        ca, cb = _kids(old, a), _kids(new, b)
        if not ca or not cb:
            continue
        keys_a = [_key(c, paths) for c in ca]
        keys_b = [_key(c, None) for c in cb]
        matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
        for tag, i1, i2, j1, _ in matcher.get_opcodes():
            if tag != "equal":
                continue
            for k in range(i2 - i1):
                pairs[ca[i1 + k].id] = cb[j1 + k].id
                stack.append((ca[i1 + k].id, cb[j1 + k].id))
    return pairs


def label(trace: Trace, call_id: str | None) -> str:
    """How a report names a call: its module path (`model` for the root), or `op in module`."""
    if call_id == INPUT_PRODUCER:
        return "input"
    if not is_call_id(call_id) or call_id not in trace.index:
        return "?"
    c = trace.call(call_id)
    if c.kind == CallKind.MODULE:
        return c.name or "model"
    owner = module_parent(trace, c)
    return f"{c.name} in {owner.name or 'model'}" if owner is not None else c.name


def own_path(trace: Trace, c: Call) -> str:
    owner = module_parent(trace, c)
    return owner.name if owner is not None else ""


def op_changes(
    old: Trace, new: Trace, pairs: dict[str, str], drawn_old: set[str], drawn_new: set[str], retyped: set[str]
) -> tuple[OpChange, ...]:
    """Ops (and torch helpers) on one side only, inside a module on both sides, counted by module and name.

    `drawn_*`: calls drawn as themselves (not folded onto an earlier loop step: one more step of a loop is a
    count change, not new ops). `retyped`: module paths (OLD's and NEW's) whose class changed; their insides
    are explained by that.
    """
    matched_new = set(pairs.values())
    counts: dict[tuple[str, str, str], int] = {}
    for sign, trace, mine, drawn in (("-", old, set(pairs), drawn_old), ("+", new, matched_new, drawn_new)):
        for c in trace.calls:
            if c.kind == CallKind.MODULE or c.bookkeeping or c.id in mine or c.id not in drawn:
                continue
            if c.parent is None or c.parent not in mine:
                continue  # inside something added or removed as a whole
            where = own_path(trace, c)
            if where in retyped:
                continue
            counts[(sign, c.name, where)] = counts.get((sign, c.name, where), 0) + 1
    return tuple(OpChange(s, op, where, n) for (s, op, where), n in sorted(counts.items(), key=_op_order))


def _op_order(item: tuple[tuple[str, str, str], int]) -> tuple[str, str, str]:
    (sign, op, where), _ = item
    return (where, op, sign)


def _handed_down(trace: Trace, c: Call, t: TensorMeta) -> bool:
    """True when `c` got tensor `t` from its parent call's own inputs (the edge into the parent says it)."""
    parent = trace.index.get(c.parent)
    return parent is not None and any(p.tid == t.tid for p in parent.inputs)


def _same_source(po: str | None, pn: str | None, pairs: dict[str, str]) -> bool:
    if po == INPUT_PRODUCER or pn == INPUT_PRODUCER:
        return po == pn
    return po is not None and pairs.get(po) == pn


Changes = tuple[tuple[EdgeChange, ...], tuple[Wiring, ...], tuple[tuple[str, str], ...]]


def edge_changes(old: Trace, new: Trace, pairs: dict[str, str]) -> Changes:
    """Tensors handed between corresponding calls whose shape changed (with NEW's producer and consumer ids);
    inputs read from another call."""
    edges: list[EdgeChange] = []
    ends: list[tuple[str, str]] = []
    wiring: list[Wiring] = []
    matched_new = set(pairs.values())
    for a, b in pairs.items():
        co, cn = old.call(a), new.call(b)
        ins_o = {t.path: t for t in co.inputs}
        for tn in cn.inputs:
            if _handed_down(new, cn, tn):
                continue
            to = ins_o.get(tn.path)
            if to is None:
                if is_call_id(tn.producer) or tn.producer == INPUT_PRODUCER:
                    text = f"+ {label(new, b)} also reads {label(new, tn.producer)} ({tn.path})"
                    wiring.append(Wiring("input", "+", text))
                continue
            if _same_source(to.producer, tn.producer, pairs):
                if to.shape != tn.shape:
                    edges.append(EdgeChange(label(new, tn.producer), label(new, b), tn.path, to.shape, tn.shape))
                    ends.append((str(tn.producer), b))
            elif to.producer in pairs and tn.producer in matched_new:
                was = label(old, to.producer)
                wiring.append(Wiring("reads", "~", f"~ {label(new, b)} reads {label(new, tn.producer)} (was {was})"))
        names_n = {t.path for t in cn.inputs}
        for to in co.inputs:
            if to.path not in names_n and not _handed_down(old, co, to) and to.producer is not None:
                wiring.append(
                    Wiring("input", "-", f"- {label(new, b)} no longer reads {label(old, to.producer)} ({to.path})")
                )
    return tuple(edges), tuple(wiring), tuple(ends)


def residuals(trace: Trace, ops: list[Call], sign: str) -> tuple[Wiring, ...]:
    """Skip connections among `ops`: an add whose one operand is computed from the other."""
    found = []
    for c in ops:
        if c.name not in RESIDUAL_OPS or len(c.inputs) < 2:
            continue
        a, b = c.inputs[0], c.inputs[1]
        skip, through = (a, b) if _depends(trace, b, a.tid) else (b, a) if _depends(trace, a, b.tid) else (None, None)
        if skip is None or through is None:
            continue
        where = own_path(trace, c) or "model"
        owner = module_parent(trace, c)
        given = owner is not None and any(t.tid == skip.tid for t in owner.inputs)
        src = f"{where}'s input" if given else label(trace, skip.producer)
        text = f"{sign} residual in {where}: {c.name}({src}, {label(trace, through.producer)})"
        found.append(Wiring("residual", sign, text))
    return tuple(found)


def _depends(trace: Trace, t: TensorMeta, tid: str) -> bool:
    """True when tensor `t` was computed from tensor `tid` (walking producers back, within a bound)."""
    stack = [t.producer]
    seen: set[str] = set()
    while stack and len(seen) < _BACK_LIMIT:
        p = stack.pop()
        if not is_call_id(p) or p in seen or p not in trace.index:
            continue
        seen.add(p)
        for i in trace.call(p).inputs:
            if i.tid == tid:
                return True
            stack.append(i.producer)
    return False


def unmatched_ops(trace: Trace, mine: set[str], drawn: set[str]) -> list[Call]:
    """Op calls on this side only, drawn as themselves, inside a call that is on both sides."""
    return [
        c
        for c in trace.calls
        if c.kind != CallKind.MODULE and not c.bookkeeping and c.id not in mine and c.id in drawn and c.parent in mine
    ]
