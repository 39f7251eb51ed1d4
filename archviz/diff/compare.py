"""Compare two records: match modules, align calls, and gather every difference into one `Diff`."""

from __future__ import annotations

from collections.abc import Iterable

from ..analysis.loops import rolling_for
from ..kinds import CallKind
from ..record import Call, Rolling, Trace
from . import calls, counts, state
from .grouping import general
from .modules import Mod, match, modules
from .result import Diff, EdgeChange, ModuleChange, ModuleEntry, OpChange, Renamed, Wiring


def compare(old: Trace, new: Trace, old_name: str = "OLD", new_name: str = "NEW") -> Diff:
    """Everything that differs between `old` and `new` (see `Diff`).

    Args:
        old, new: the two records.
        old_name, new_name: how the user named them (shown in every format).
    """
    mo, mn = modules(old), modules(new)
    paths = match(mo, mn)
    pairs = calls.align(old, new, paths)
    ro, rn = rolling_for(old), rolling_for(new)
    first_o, first_n = _first_steps(old, ro), _first_steps(new, rn)
    retyped = {p for o, n in paths.items() if mo[o].type != mn[n].type for p in (o, n)}
    matched_old, matched_new = set(pairs), set(pairs.values())
    # ops inside a module whose class changed are that change (an alignment of two classes' ops says nothing)
    ops_o = [c for c in calls.unmatched_ops(old, matched_old, first_o) if calls.own_path(old, c) not in retyped]
    ops_n = [c for c in calls.unmatched_ops(new, matched_new, first_n) if calls.own_path(new, c) not in retyped]
    edges, reads, ends = calls.edge_changes(old, new, pairs)
    wiring = (*calls.residuals(new, ops_n, "+"), *calls.residuals(old, ops_o, "-"), *reads)
    added = _entries(mn, set(mn) - set(paths.values()))
    looped = _in_time_loops(old, ro, paths) | _in_time_loops(new, rn, None)
    removed = _entries(mo, set(mo) - set(paths))
    changed = tuple(ch for o, n in paths.items() if (ch := _changed(mo[o], mn[n], n in looped)) is not None)
    return Diff(
        old=old_name,
        new=new_name,
        old_model=f"{old.model_name} ({old.model_class})",
        new_model=f"{new.model_name} ({new.model_class})",
        added=added,
        removed=removed,
        renamed=_renamed(mo, mn, paths),
        changed=changed,
        ops=_group_ops(calls.op_changes(old, new, pairs, first_o, first_n, retyped)),
        edges=_group_edges(edges),
        wiring=_group_wiring(wiring),
        counts=counts.count_changes(old, new, ro, rn, paths),
        gates=counts.gate_changes(old, new, paths),
        outputs=counts.output_changes(old, new),
        checkpoint=state.checkpoint(old, new, paths),
        totals=(state.totals(old), state.totals(new)),
        notes=_notes(old, new, old_name, new_name),
        marks=(
            *_marks(old, new, paths, added, removed, ops_o, ops_n, {c.path for c in changed}, mn),
            *((f"edge:{a}>{b}", "changed") for a, b in ends),
        ),
    )


def _first_steps(trace: Trace, rolling: Rolling) -> set[str]:
    """Calls in no loop over time, or in its first step: one more step is a count change, not new ops."""
    return {
        c.id
        for c in trace.calls
        if all(step == 0 for loop, step in rolling.within.get(c.id, ()) if not _is_repeat(rolling, loop))
    }


def _is_repeat(rolling: Rolling, loop_id: str) -> bool:
    return any(lp.repeat for lp in rolling.loops if lp.id == loop_id)


def _entries(mods: dict[str, Mod], only: set[str]) -> tuple[ModuleEntry, ...]:
    """The outermost of `only` (a module whose parent is there too is counted inside it), in run order."""
    tops = [p for p in only if mods[p].parent is None or mods[p].parent not in only]
    out = []
    for p in sorted(tops, key=lambda p: mods[p].order):
        inside = sum(1 for q in only if q != p and (q.startswith(p + ".") if p else True))
        out.append(ModuleEntry(p, mods[p].type, mods[p].params, inside))
    return tuple(out)


def _renamed(mo: dict[str, Mod], mn: dict[str, Mod], paths: dict[str, str]) -> tuple[Renamed, ...]:
    """Renamed modules, the outermost of each renamed subtree only."""
    moved = {o: n for o, n in paths.items() if o != n}
    out = []
    for o, n in moved.items():
        parent = mo[o].parent
        if parent is not None and parent in moved and n.startswith(moved[parent] + "."):
            continue
        out.append(Renamed(o, n, mn[n].type, mn[n].params))
    return tuple(sorted(out, key=lambda r: mn[r.new].order))


def _in_time_loops(trace: Trace, rolling: Rolling, paths: dict[str, str] | None) -> set[str]:
    """Module paths (in NEW's names) called inside a loop over time: their call counts follow the loop's."""
    found = set()
    for c in trace.calls:
        if c.kind == CallKind.MODULE and any(not _is_repeat(rolling, lid) for lid, _ in rolling.within.get(c.id, ())):
            found.add(paths.get(c.name, c.name) if paths is not None else c.name)
    return found


def _changed(a: Mod, b: Mod, looped: bool = False) -> ModuleChange | None:
    """What differs in a module's own facts (its children's changes are theirs); `looped`: called in a loop
    over time, so a different call count is the loop's (reported there)."""
    what = []
    if a.type != b.type:
        what.append(f"type {a.type} → {b.type}")
    if a.settings and b.settings and a.settings != b.settings:
        what += settings_changes(a.settings, b.settings)
    what += _param_changes(dict(a.own), dict(b.own))
    if a.outs != b.outs and b.path:
        what.append(f"out {_shapes(a.outs)} → {_shapes(b.outs)}")
    if a.calls != b.calls and not looped:
        what.append(f"called {a.calls}× → {b.calls}×")
    if not what:
        return None
    return ModuleChange(b.path, a.path, b.type, tuple(what), (a.params, b.params))


def _items(text: str) -> list[str]:
    """`16, 24, batch_first=True` -> its items, split at top-level commas (`kernel_size=(3, 3)` stays one)."""
    items, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [*items, cur.strip()] if cur.strip() else items


def settings_changes(a: str, b: str) -> list[str]:
    """What differs in two `extra_repr` texts, item by item (`out_features=32 → 64`, `+ batch_first=True`)."""
    ia, ib = _items(a), _items(b)
    plain_a, plain_b = [i for i in ia if "=" not in i], [i for i in ib if "=" not in i]
    out = [f"argument {k + 1}: {x} → {y}" for k, (x, y) in enumerate(zip(plain_a, plain_b, strict=False)) if x != y]
    out += [f"- {x}" for x in plain_a[len(plain_b) :]] + [f"+ {y}" for y in plain_b[len(plain_a) :]]
    named_a = {k: v for k, _, v in (i.partition("=") for i in ia if "=" in i)}
    named_b = {k: v for k, _, v in (i.partition("=") for i in ib if "=" in i)}
    out += _named_changes(named_a, named_b)
    return out or [f"settings ({a}) → ({b})"]


def _named_changes(a: dict[str, str], b: dict[str, str]) -> list[str]:
    out = []
    for key in [*a, *(k for k in b if k not in a)]:
        if key not in b:
            out.append(f"- {key}={a[key]}")
        elif key not in a:
            out.append(f"+ {key}={b[key]}")
        elif a[key] != b[key]:
            out.append(f"{key}={a[key]} → {b[key]}")
    return out


def _param_changes(a: dict[str, tuple[int, ...]], b: dict[str, tuple[int, ...]]) -> list[str]:
    out = []
    for name in [*a, *(n for n in b if n not in a)]:
        if name not in b:
            out.append(f"- {name} {_shape(a[name])}")
        elif name not in a:
            out.append(f"+ {name} {_shape(b[name])}")
        elif a[name] != b[name]:
            out.append(f"{name} {_shape(a[name])} → {_shape(b[name])}")
    return out


def _shape(s: Iterable[int]) -> str:
    return "[" + ", ".join(str(d) for d in s) + "]"


def _shapes(shapes: tuple[tuple[int, ...], ...]) -> str:
    return ", ".join(_shape(s) for s in shapes) or "nothing"


def _group_ops(ops: tuple[OpChange, ...]) -> tuple[OpChange, ...]:
    grouped: dict[tuple[str, str, str], int] = {}
    for op in ops:
        key = (op.sign, op.op, general(op.where))
        grouped[key] = grouped.get(key, 0) + op.count
    return tuple(OpChange(s, o, w, n) for (s, o, w), n in sorted(grouped.items(), key=lambda kv: (kv[0][2], kv[0][1])))


def _group_edges(edges: tuple[EdgeChange, ...]) -> tuple[EdgeChange, ...]:
    grouped: dict[tuple[str, str, str, tuple[int, ...], tuple[int, ...]], int] = {}
    for e in edges:
        key = (general(e.src), general(e.dst), e.slot, e.old, e.new)
        grouped[key] = grouped.get(key, 0) + 1
    return tuple(EdgeChange(s, d, slot, o, n, count) for (s, d, slot, o, n), count in grouped.items())


def _group_wiring(wiring: tuple[Wiring, ...]) -> tuple[Wiring, ...]:
    grouped: dict[tuple[str, str, str], int] = {}
    for w in wiring:
        key = (w.kind, w.sign, general(w.text))
        grouped[key] = grouped.get(key, 0) + 1
    return tuple(Wiring(k, s, t, n) for (k, s, t), n in grouped.items())


def _notes(old: Trace, new: Trace, old_name: str, new_name: str) -> tuple[str, ...]:
    notes = []
    for name, t in ((old_name, old), (new_name, new)):
        if t.failure is not None:
            notes.append(f"{name}: the forward pass failed ({t.failure.exc_type}); only what ran is compared")
        if not t.state:
            notes.append(
                f"{name}: the record holds no state dict (made by an older archviz): checkpoint keys are the "
                "parameters of the modules that ran, buffers are not compared"
            )
    return tuple(notes)


def _marks(
    old: Trace,
    new: Trace,
    paths: dict[str, str],
    added: tuple[ModuleEntry, ...],
    removed: tuple[ModuleEntry, ...],
    ops_o: list[Call],
    ops_n: list[Call],
    changed: set[str],
    mn: dict[str, Mod],
) -> tuple[tuple[str, str], ...]:
    """Calls to mark in a diagram: `new:call-…` added/changed/renamed, `old:call-…` removed (ghosts)."""
    marks: dict[str, str] = {}
    add_paths = {e.path for e in added}
    gone_paths = {e.path for e in removed}
    for c in new.calls:
        if c.kind == CallKind.MODULE and _under(c.name, add_paths):
            marks[f"new:{c.id}"] = "added"
    for c in ops_n:
        marks[f"new:{c.id}"] = "added"
    for o, n in paths.items():
        if n in changed:
            marks.setdefault(f"new:{mn[n].first}", "changed")
        elif o != n:
            marks.setdefault(f"new:{mn[n].first}", "renamed")
    for c in old.calls:
        if c.kind == CallKind.MODULE and c.name in gone_paths:
            marks[f"old:{c.id}"] = "removed"
    for c in ops_o:
        marks[f"old:{c.id}"] = "removed"
    return tuple(sorted(marks.items()))


def _under(path: str, tops: set[str]) -> bool:
    return any(path == t or path.startswith(t + ".") for t in tops)
