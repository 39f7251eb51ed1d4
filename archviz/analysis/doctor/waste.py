"""Rules 5–6: work that goes nowhere, saturated gates (probabilities: `logits`; batch-mix: `mixing`)."""

from __future__ import annotations

import ast
import dataclasses
import re

from ...kinds import (
    CallKind,
    FindingCode,
    Severity,
    saturation_bounds,
)
from ...record import Call, Finding, Source, Stats, shape_text
from . import idle
from .context import (
    Context,
    constructor_line,
    desc,
    finding,
)
from .idle import built_by_user

# ---------------------------------------------------------------------------------------------
# 5. work that goes nowhere
# ---------------------------------------------------------------------------------------------


def _referenced(ctx: Context, attr: str) -> bool:
    """`self.attr` appears in the model's code other than where it is assigned."""
    rx = re.compile(rf"self\.{re.escape(attr)}\b(?!\s*(?::[^=]+)?=(?!=))")
    return any(rx.search(line) for text in ctx.facts.sources.values() for line in text.splitlines())


def dead_work(ctx: Context) -> list[Finding]:
    trace = ctx.trace
    if trace.failure is not None:
        return []
    if trace.idle or not (trace.uncalled or trace.unread):
        found = idle.findings(ctx)
    else:
        found = _dead_work_by_text(ctx)  # a record made before `Trace.idle`
    return found + _dead_results(ctx)


def _dead_work_by_text(ctx: Context) -> list[Finding]:
    """Uncalled modules and unread parameters of an older record: a note when the file names them."""
    found = []
    for path in ctx.trace.uncalled:
        attr = path.rsplit(".", 1)[-1]
        used = _referenced(ctx, attr) if not attr.isdigit() else True
        found.append(
            finding(
                Severity.NOTE if used else Severity.WARNING,
                FindingCode.DEAD_MODULE,
                f"module '{path}' is registered but never called",
                constructor_line(ctx, path),
                f"'{path}' ran in no call of this forward pass; its parent did",
                "it does nothing here"
                + (" (the code refers to it: perhaps in a branch this pass did not take)" if used else ""),
                "call it where it was meant to be used (a dropout before the head, a second norm), or delete it",
            )
        )
    for name in ctx.trace.unread:
        used = _referenced(ctx, name.rsplit(".", 1)[-1])
        found.append(
            finding(
                Severity.NOTE if used else Severity.WARNING,
                FindingCode.DEAD_PARAM,
                f"parameter '{name}' is never used",
                constructor_line(ctx, name),
                f"no op of this forward pass read '{name}'",
                "the optimizer holds it and checkpoints save it, but it reaches no output, so it gets no gradient "
                "and never changes"
                + (" here (the code refers to it: perhaps in a branch this pass did not take)" if used else ""),
                "apply it where it was meant to be used, or delete it",
            )
        )
    return found


def _dead_results(ctx: Context) -> list[Finding]:
    """Calls in the user's code whose every output, at every run of that line, reaches nothing."""
    sites: dict[tuple[str, int, str], list[Call]] = {}
    for c in ctx.trace.calls:
        site = _result_site(ctx, c)
        if site is not None:
            sites.setdefault(site, []).append(c)
    found = []
    for calls in sites.values():
        # a line in a loop is dead only when no run of it is read: the last step's result often goes unread
        if not any(any(ctx.index.used(t, c.id) for t in c.outputs) for c in calls) and not _logs(calls[0]):
            if not _kept(ctx, calls[0]):
                found.append(_dead_result(calls) if not _in_library(ctx, calls[0]) else _library_result(ctx, calls))
    return found


def _in_library(ctx: Context, c: Call) -> bool:
    """Whether `c` runs in a library's code (a file that is not the user's): the user cannot change it."""
    return (
        c.source is not None and bool(ctx.facts.sources) and c.source.file.rsplit("/", 1)[-1] not in ctx.facts.sources
    )


def _targets(code: str) -> list[ast.expr]:
    """The targets a source line assigns to (`self.std = self.var = ...`), [] when it assigns nothing."""
    try:
        stmt = ast.parse(code.strip()).body[0]
    except (SyntaxError, IndexError):
        m = re.match(r"\s*([\w.]+(?:\[[^\]]*\])?)\s*(?::[^=]+)?=(?!=)", code)
        return [ast.Attribute(ast.Name("_"), "_")] if m and ("." in m[1] or "[" in m[1]) else []
    if isinstance(stmt, ast.Assign):
        return [t for target in stmt.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        return [stmt.target]
    return []


def _kept(ctx: Context, c: Call) -> bool:
    """The result is kept for later, not thrown away: stored on an object (`self.std = exp(...)`, read by
    whoever holds it), or the very tensor `c` was given, bound again to the name it had (`x = drop(x)` in
    eval mode: any later read of it reads this result)."""
    targets = _targets(c.source.code if c.source else "")
    if any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in targets):
        return True
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    handed = all(t.producer is not None and not ctx.index.within(t.producer, c.id) for t in c.outputs)
    code = c.source.code if c.source else ""
    return handed and any(re.search(rf"\(\s*{re.escape(n)}\s*[,)]", code) for n in names)


def _result_site(ctx: Context, c: Call) -> tuple[str, int, str] | None:
    """The (file, line, call name) whose results `c` adds to, or None when nothing need read them."""
    source = c.source
    if c.bookkeeping or not c.outputs or source is None or c.parent is None:
        return None
    parent = ctx.index.get(c.parent)
    if parent is None or (source.function.split(".")[0] != parent.type and parent.parent is not None):
        return None  # inside a torch module's own code
    if _in_place(c) or _for_python(c):
        return None
    return (source.file, source.line, c.name or c.type)


def _in_place(c: Call) -> bool:
    """Tell whether `c` is an op that writes into a tensor: its write is the point, not its result."""
    return c.kind == CallKind.OP and (c.name.endswith("_") or c.name.startswith("__i") or c.name == "__setitem__")


def _for_python(c: Call) -> bool:
    """Tell whether every output of `c` is a scalar or a mask, read by Python (an `if`, an assert, a print)."""
    return all(not t.shape or t.dtype == "bool" for t in c.outputs)


def _logs(c: Call) -> bool:
    """Tell whether `c` runs on a line that prints, asserts or logs: what it computes is shown, not used."""
    code = c.source.code if c.source else ""
    return re.match(r"\s*(print|assert|log|logger|logging|warnings|self\.log)\b", code) is not None


def _library_result(ctx: Context, calls: list[Call]) -> Finding:
    """A result a library's code throws away (often for a branch this pass did not take): a note at the
    user's line that built the library's module, the library's line as context."""
    f = _dead_result(calls)
    entry = ""
    at = ctx.index.get(calls[0].parent)
    while at is not None and at.parent is not None:  # the library module the user's code calls
        if at.kind == CallKind.MODULE and at.source is not None and not _in_library(ctx, at):
            entry = at.name
            break
        at = ctx.index.get(at.parent)
    where = f"{f.source.file}:{f.source.line}" if f.source else "the library"
    return dataclasses.replace(
        f,
        severity=Severity.NOTE,
        title=f"{f.title} in the library's code ({where})",
        source=built_by_user(ctx, entry) or f.source,
        seen=f"in the library's code at {where} (`{f.source.code if f.source else ''}`): {f.seen}",
        why="the library's code computes it for a branch or mode this pass did not take, or keeps it unused",
        fix="nothing to do in your code",
    )


def _dead_result(calls: list[Call]) -> Finding:
    """Report the results of `calls` (every run of one line) as never used."""
    c = calls[0]
    return finding(
        Severity.WARNING,
        FindingCode.DEAD_RESULT,
        f"the result of {desc(c)} is never used",
        c.source,
        f"{desc(c)} made {', '.join(shape_text(t.shape) for t in c.outputs[:3])}, read by nothing"
        + (f" (in all {len(calls)} runs of this line)" if len(calls) > 1 else ""),
        "the work is done and thrown away; usually a later line reads the old variable instead of this result",
        (
            f"use the result (e.g. `x = self.{c.name}(x)`, then read x), or delete the call"
            if c.kind == CallKind.MODULE and c.name and "." not in c.name
            else "use the result (assign it and read that name later), or delete the call"
        ),
        [x.id for x in calls[:3]],
    )


# ---------------------------------------------------------------------------------------------
# 6. saturated gates
# ---------------------------------------------------------------------------------------------

SATURATED = 0.5  # a note when more than this fraction of a gate's values is below 0.01 or above 0.99


def saturation(ctx: Context) -> list[Finding]:
    found = []
    for cell in ctx.trace.cells:
        for spread in cell.spreads:
            shown = ctx.trace.index.get(spread.call)
            f = _saturated(ctx, cell.path, spread.gate, spread.stats, spread.call, shown.source if shown else None)
            if f is not None:
                found.append(f)
    return found


def _saturated(ctx: Context, path: str, gate: str, stats: Stats, cid: str, source: Source | None) -> Finding | None:
    low, high = stats.low, stats.high
    lo, hi = saturation_bounds(stats.kind)
    if low + high <= SATURATED:
        return None
    return finding(
        Severity.NOTE,
        FindingCode.GATE_SATURATION,
        f"gate {gate} of '{path or 'the cell'}' is saturated on the example inputs",
        source,
        f"{low:.0%} of its {stats.count:,} values below {lo} and {high:.0%} above {hi} ({stats.kind})",
        "a saturated gate passes no gradient; on random example inputs this can be harmless (Karpathy et al. 2015 "
        "read saturation on real data)",
        "check it on real inputs; if it stays saturated, look at the scale of its inputs or its bias",
        [cid],
    )


RULES = (dead_work, saturation)
