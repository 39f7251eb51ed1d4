"""What every rule of the doctor reads: the trace indexed, provenance and axes at hand, helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ...kinds import RECURRENT_MODULES, CallKind, FindingCode, Severity
from ...record import Call, Finding, Source, TensorMeta, Trace, is_call_id
from ..axes import Axes, describe
from ..provenance import Origin, Provenance

SEVERITY = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


@dataclass(frozen=True)
class Facts:
    """What the model's files say, for the rules that need the source: file name -> its text."""

    sources: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return "\n".join(self.sources.values())

    def line_of(self, pattern: str) -> Source | None:
        """The first line of the model's files matching `pattern` (a regex), as a Source."""
        rx = re.compile(pattern)
        for name, text in self.sources.items():
            for i, line in enumerate(text.splitlines(), 1):
                if rx.search(line):
                    return Source(name, i, "", line.strip()[:160])
        return None


class Index:
    """Who made and who read each tensor of a trace: the record's own index (`Trace.index`), read the way
    the rules ask."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.calls = trace.index
        self.final = {t.tid for t in trace.outputs}

    def get(self, cid: str | None) -> Call | None:
        """The call with this id, or None."""
        return self.calls.get(cid)

    def readers(self, tid: str) -> tuple[str, ...]:
        """Ids of the calls that read tensor `tid`."""
        return self.calls.tensor_readers(tid)

    def made_by(self, t: TensorMeta, inner: bool = False) -> Call | None:
        """The call that made `t` as its reader saw it (a grouped helper such as pad_packed_sequence, not
        an op inside it); `inner`: the innermost call that made it (for a model output, its last op)."""
        given = t.producer if t.producer and is_call_id(t.producer) else None
        maker = self.calls.tensor_maker(t.tid)
        cid = (maker or given) if inner else (given or maker)
        return self.calls.get(cid)

    def within(self, cid: str, outer: str) -> bool:
        """`cid` is `outer` or runs inside it."""
        return cid in self.calls and outer in self.calls and self.calls.contains(outer, cid)

    def used(self, t: TensorMeta, by: str | None = None) -> bool:
        """Something reads `t` (outside call `by`, when given), an enclosing call hands it back up, or it is
        a model output."""
        if t.tid in self.final:
            return True
        readers, holders = self.calls.tensor_readers(t.tid), self.calls.tensor_holders(t.tid)
        if by is None:
            return bool(readers) or len(holders) > 1
        outside = (r for r in readers if not self.within(r, by))
        returned = (h for h in holders if h != by and self.within(by, h))
        return any(outside) or any(returned)

    def children(self, cid: str) -> Iterable[Call]:
        return self.calls.children(cid)


@dataclass
class Context:
    trace: Trace
    index: Index
    prov: Provenance | None
    axes: Axes | None
    facts: Facts

    def origin(self, cid: str, side: str, i: int, dim: int) -> Origin | None:
        if self.prov is None:
            return None
        return self.prov.origins.get((cid, side, i, dim))

    def axis_of(self, cid: str, side: str, i: int, dim: int) -> str | None:
        """The axis name of a dim whose size is exactly one named input axis (B, T, …)."""
        o = self.origin(cid, side, i, dim)
        if o is None or self.axes is None or o.group is None:
            return None
        return self.axes.names.get(o.group)

    def said(self, cid: str, side: str, i: int, dim: int, size: int) -> str:
        """`5 = T (args[0] dim 0)`: a size and where it comes from, as far as known."""
        o = self.origin(cid, side, i, dim)
        if o is None or self.axes is None or self.prov is None:
            return str(size)
        if not o.exact:  # a floor or a pooling on the way: say what it grows with, not a made-up formula
            labels = [self.axes.label(g) for g, _ in o.terms] + [self.axes.label(g) for g in o.product]
            return f"{size} (grows with {', '.join(dict.fromkeys(labels))})" if labels else str(size)
        text = describe(o, self.axes)
        asked = self.axes.sources.get(o.group) if o.group is not None else None
        if asked and text in self.axes.names.values():
            text = f"{text} ({asked})"  # `5 = T (x.size(0))`
        return f"{size} = {text}" if text != str(size) else str(size)


def op_of(c: Call) -> str:
    return c.name if c.kind == CallKind.OP else c.type


def arg(c: Call, *paths: str) -> str | None:
    for a in c.args:
        if a.path in paths:
            return a.summary
    return None


def dim_arg(c: Call, rank: int) -> int | None:
    text = arg(c, "kwargs['dim']", "args[1]")
    try:
        d = int(text) if text is not None else None
    except ValueError:
        return None
    return d % rank if d is not None and rank else d


def user_op(ctx: Context, c: Call) -> bool:
    """An op written in a forward the user wrote (not inside a torch module's own forward)."""
    parent = ctx.index.get(c.parent) if c.parent else None
    return bool(c.source and parent is not None and c.source.function.split(".")[0] == parent.type)


def index_positions(c: Call) -> list[tuple[int, str]]:
    """(dim, text) of each entry of a `__getitem__` index: `out[:, -1, :]` -> [(0, ':'), (1, '-1'), (2, ':')]."""
    entries = [(a.path, a.summary) for a in c.args if a.path.startswith("args[1]")]
    if len(entries) == 1 and entries[0][0] == "args[1]":
        return [(0, entries[0][1])]
    found = []
    for path, text in entries:
        m = re.fullmatch(r"args\[1\]\[(\d+)\]", path)
        if m:
            found.append((int(m[1]), text))
    return found


def is_int(text: str) -> bool:
    return re.fullmatch(r"-?\d+", text.strip()) is not None


def through(ctx: Context, t: TensorMeta, names: frozenset[str], steps: int = 4) -> Call | None:
    """The call of one of `names` (module types, op or function names) that made `t`, looking back
    through a few calls that pass a tensor on (getitem, contiguous, dropout …)."""
    for _ in range(steps):
        c = ctx.index.made_by(t)
        if c is None:
            return None
        if c.type in names or c.name in names:
            return c
        if not c.inputs:
            return None
        t = c.inputs[0]
    return None


def constructor_line(ctx: Context, module_path: str) -> Source | None:
    """Where a submodule is made: `self.lstm = nn.LSTM(` for module path `encoder.lstm`."""
    attr = module_path.rsplit(".", 1)[-1]
    if not attr or attr.isdigit():
        attr = module_path.rsplit(".", 2)[-2] if "." in module_path else attr
    if not attr:
        return None
    return ctx.facts.line_of(rf"self\.{re.escape(attr)}\s*(?::[^=]+)?=(?!=)") or ctx.facts.line_of(
        rf"""register_(?:module|parameter|buffer)\(\s*['"]{re.escape(attr)}['"]"""
    )


def finding(
    severity: Severity,
    code: FindingCode,
    title: str,
    source: Source | None,
    seen: str,
    why: str,
    fix: str,
    calls: Iterable[str] = (),
) -> Finding:
    return Finding(severity, code, title, source, seen, why, fix, tuple(calls))


def recurrent_layout(c: Call) -> tuple[str, ...] | None:
    if c.config is not None and not c.config.cell:
        return ("B", "T", "F") if c.config.batch_first else ("T", "B", "F")
    return None


def desc(c: Call) -> str:
    return f"{c.type} '{c.name}'" if c.kind == CallKind.MODULE else op_of(c)


def layout_of(ctx: Context, c: Call) -> tuple[str, ...] | None:
    """The layout of a recurrent output or of pad_packed_sequence's padded output."""
    if c.type in RECURRENT_MODULES:
        return recurrent_layout(c)
    first = arg(c, "batch_first", "kwargs['batch_first']", "args[1]")
    return ("B", "T", "F") if first == "True" else ("T", "B", "F")
