"""Dead modules and parameters from `Trace.idle`: a warning only for what nothing in the code uses.

Used means called, or read or called through its methods in the code that ran (the user's files and
the library files its classes come from), or tied to a used parameter (capture leaves those out).
What the code that ran refers to (a branch or mode not taken, an attribute read such as
`self.dropout.p`) and what a function the pass did not run uses (a training step, a loss) is a note.
A warning names what no code refers to, or only functions that nothing calls; one made by a
library's own code is a note at most (the user cannot change it), pointing at the user's line that
built the library's model, with the library's line as context. The same finding at every layer of a
stack is one finding, `×N`.
"""

from __future__ import annotations

import re

from ...kinds import FindingCode, Severity
from ...record import Finding, Idle, Source
from .context import Context, constructor_line, finding


def findings(ctx: Context) -> list[Finding]:
    groups: dict[tuple[str, str, Severity, str], list[Idle]] = {}
    for item in ctx.trace.idle:
        built = item.built
        key = (item.kind, f"{built.file}:{built.line}" if built else _pattern([item.name]), _severity(item), _why(item))
        groups.setdefault(key, []).append(item)
    return [_finding(ctx, items) for items in groups.values()]


def _severity(item: Idle) -> Severity:
    if item.ran or item.elsewhere or item.library:
        return Severity.NOTE
    if item.dead and item.kind == "module" and not item.params:
        # a loss or metric used by a method only outside code calls (`model.training_step(batch)` in
        # another file): it holds nothing, so nothing is lost
        return Severity.NOTE
    return Severity.WARNING


def _pattern(names: list[str]) -> str:
    """`encoder.layer.*.attention.dropout` for the same attribute at every layer of a stack."""
    split = [n.split(".") for n in names]
    if len({len(p) for p in split}) != 1:
        return names[0]
    return ".".join(parts[0] if len(set(parts)) == 1 else "*" for parts in zip(*split, strict=True))


def _at(s: Source) -> str:
    return f"{s.file}:{s.line} (`{s.code}`)" if s.code else f"{s.file}:{s.line}"


def _why(item: Idle) -> str:
    """What the code says about it, the same for every member of a group."""
    if item.ran:
        return f"the code that ran refers to it at {_at(item.ran[0])}, in {item.ran[0].function}"
    if item.elsewhere:
        fn = item.elsewhere[0].function
        return f"it is used at {_at(item.elsewhere[0])}, in {fn}, which this forward pass does not run"
    if item.dead:
        fn = item.dead[0].function
        return f"only {fn} refers to it ({_at(item.dead[0])}), and nothing calls {fn.rsplit('.', 1)[-1]}"
    return "no code refers to it"


def built_by_user(ctx: Context, entry: str) -> Source | None:
    """The user's line that built the library module at path `entry` (`''`: the model itself)."""
    if entry:
        return constructor_line(ctx, entry)
    trace = ctx.trace
    return (
        ctx.facts.line_of(rf"\b{re.escape(trace.model_class)}\s*[.(]")
        or ctx.facts.line_of(r"\b(create_model|from_config|from_pretrained|_from_config)\s*\(")
        or ctx.facts.line_of(rf"^\s*def\s+{re.escape(trace.model_name)}\b")
    )


def _finding(ctx: Context, items: list[Idle]) -> Finding:
    item = items[0]
    name = _pattern([i.name for i in items])
    times = f" (×{len(items)})" if len(items) > 1 else ""
    built = item.built or constructor_line(ctx, item.name)
    source = built_by_user(ctx, item.entry) if item.library else built
    made = f"; made at {_at(built)} in the library's code" if built and item.library else ""
    if item.kind == "module":
        title = f"module '{name}'{times} is registered but never called"
        seen = f"'{name}' ({item.type}) ran in no call of this forward pass; {_why(item)}{made}"
        fix = "call it where it was meant to be used (a dropout before the head, a second norm), or delete it"
        code = FindingCode.DEAD_MODULE
    else:
        title = f"parameter '{name}'{times} is never used"
        seen = f"no op of this forward pass read '{name}'; {_why(item)}{made}"
        fix = "apply it where it was meant to be used, or delete it"
        code = FindingCode.DEAD_PARAM
    severity = _severity(item)
    why = _cost(item) if severity == Severity.WARNING else _harmless(item)
    if item.library and severity == Severity.NOTE:
        fix = "nothing to do in your code: the library's code decides when it is used"
    return finding(severity, code, title, source, seen, why, fix)


def _cost(item: Idle) -> str:
    if item.kind == "parameter":
        return (
            "the optimizer holds it and checkpoints save it, but it reaches no output, so it gets no gradient "
            "and never changes"
        )
    if item.params:
        return f"its {item.params:,} parameters count in the model's size and in the optimizer, but it does nothing"
    return "it has no parameters, but the work it was made for (a dropout, an activation) is not done"


def _harmless(item: Idle) -> str:
    if item.dead and not item.library:
        return "it holds no parameters; the method that uses it may be called from code outside these files"
    if item.ran or item.elsewhere:
        return "it is used in another mode or branch (training, another input), not in this pass"
    return "the library's code made it; this pass did not use it"
