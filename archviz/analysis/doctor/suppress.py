"""The doctor's finding codes as users name them: what each means, and which findings `archviz doctor`
reports — `--select`/`--ignore`, and `# archviz: ignore[code]` on the line a finding points at. One pure
function (`choose`) decides, so every output format shows the same findings and the exit status follows
what is shown.

A failed forward pass (an `error`) is reported under any `--select`, as a linter reports a syntax error:
nothing after the failing call was checked. `--ignore` or a marker on its line still drops it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from ...kinds import FindingCode, Severity
from ...record import Finding
from . import _MODULES

# `# archviz: ignore`, `# archviz: ignore[dead-param]`, `# archviz: ignore[dead-param, batch-time]`.
MARKER = re.compile(r"#\s*archviz:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
KNOWN = frozenset(c.value for c in FindingCode)

# Each finding code: a sentence, then a paragraph (SARIF's shortDescription and fullDescription of its rule).
_CODE_TABLE = """
forward-failed: The forward pass raised
    The model's forward pass raised on the example inputs; nothing after the failing call was checked.
shape-clash: Sizes clash at a failing op
    An op failed as two sizes disagree; the finding says where each comes from and which call made the wrong one.
batch-time: Batch and time axes confused
    A recurrent module or an index reads the batch axis as time (or the reverse), or an output lost its batch axis.
padding-read: Padding read as data
    The last position of a padded batch of unequal lengths (or of a bidirectional output) taken as each summary.
probabilities: Probabilities where a loss expects logits
    The model ends in softmax or sigmoid, and the loss it is trained with applies that itself.
dead-module: Module never called
    A registered submodule that the forward pass never calls.
dead-param: Parameter never read
    A parameter that no op of the forward pass reads: it gets no gradient and never changes.
dead-result: Result never used
    A value computed in forward that reaches no output.
batch-mix: Computation across the batch axis
    A softmax or a reduction over the batch axis, mixing samples that should stay independent.
gate-saturation: Saturated gates
    Most values of a recurrent gate sit at the ends of its activation on the example inputs (random ones can).
axes-scrambled: A reshape scrambles axes
    A view or reshape interleaves the elements of two axes instead of grouping neighbouring axes.
batch-axis: Output batch axis is not the inputs' batch
    An output whose batch axis is not the inputs' batch: it grows as 2·B, or it is gone at B = 1.
broadcast: Broadcasting pairs two different axes
    An elementwise op or a loss whose broadcasting pairs two different axes (B × B).
softmax-axis: Softmax over the wrong axis
    A softmax over an axis that the weighted sum after it does not reduce.
feature-axis: A feature layer reads time or batch
    A feature layer (Linear, LayerNorm, convolution channels) applied along the time or the batch axis.
layout: A module's layout contradicts the evidence
    A module's documented layout (batch_first) disagrees with stronger evidence about its input's axes.
positions: Positions made from the batch size
    Positions (indices or embeddings) made from the batch size and used along time.
shared-gate: Two gates share one weight
    Two gates of a hand-written recurrent cell are computed by one weight.
bidirectional: Bidirectional halves read wrongly
    The halves of a bidirectional RNN's outputs or states are read as the wrong direction or layer.
"""
CODE_TEXT = {
    FindingCode(head.split(":")[0]): (head.split(": ", 1)[1], body.strip())
    for head, body in zip(*[iter(_CODE_TABLE.strip().splitlines())] * 2, strict=True)
}


@dataclass(frozen=True)
class Chosen:
    """The findings to report, and those left out.

    Args:
        kept: the findings to report, in the doctor's order (most severe first, then by line).
        suppressed: findings dropped by a `# archviz: ignore` marker on their line.
        unselected: findings left out by `--select`/`--ignore`.
        unknown: (`file:line`, code) for each code a marker on a reported finding's line names that is no
            finding code (a typo leaves the finding reported; this says why).
    """

    kept: tuple[Finding, ...]
    suppressed: tuple[Finding, ...] = ()
    unselected: tuple[Finding, ...] = ()
    unknown: tuple[tuple[str, str], ...] = ()


def marker(line: str) -> frozenset[str] | None:
    """The codes a `# archviz: ignore[...]` comment in `line` names (lower case); an empty set for a bare
    `# archviz: ignore` (every code); None when the line has no marker."""
    m = MARKER.search(line)
    if m is None:
        return None
    codes = m["codes"] or ""
    return frozenset(c.strip().lower() for c in codes.split(",") if c.strip())


def selected(f: Finding, select: Collection[str], ignore: Collection[str]) -> bool:
    """Whether `--select`/`--ignore` report `f` (empty `select`: every code)."""
    if f.code in ignore:
        return False
    return not select or f.code in select or f.severity == Severity.ERROR


def choose(
    findings: tuple[Finding, ...],
    select: Collection[str] = (),
    ignore: Collection[str] = (),
    lines: Mapping[tuple[str, int], str] | None = None,
) -> Chosen:
    """Split `findings` into those to report, those a marker suppresses and those not selected.

    Args:
        findings: the doctor's findings, in its order.
        select: codes to report (empty: all); a failed forward pass is reported under any selection.
        ignore: codes never to report.
        lines: (file, line) -> the full text of that line, where it could be read; otherwise the
            finding's own `source.code` is read (the record keeps its first 160 characters).
    """
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    unselected: list[Finding] = []
    unknown: list[tuple[str, str]] = []
    for f in findings:
        if not selected(f, select, ignore):
            unselected.append(f)
            continue
        line = (lines or {}).get((f.source.file, f.source.line), f.source.code) if f.source else ""
        named = marker(line)
        if named is not None and (not named or f.code in named):
            suppressed.append(f)
            continue
        kept.append(f)
        unknown += [(f.where, code) for code in sorted((named or frozenset()) - KNOWN)]
    return Chosen(tuple(kept), tuple(suppressed), tuple(unselected), tuple(dict.fromkeys(unknown)))


def rule_names() -> tuple[str, ...]:
    """The doctor's registered rules, in the order they run (`shape_clash`, `batch_time`, …)."""
    return tuple(getattr(rule, "__name__", type(rule).__name__) for module in _MODULES for rule in module.RULES)
