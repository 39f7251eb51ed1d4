"""The doctor: shape bugs no error message names, found in the record of a real forward pass.

`diagnose` reads a Trace (with its cells), optionally the dimension provenance and axis names of
`provenance`/`axes`, and what the model file says (`Facts`), and returns Findings, most severe first.
Precision matters more than recall: each rule fires only on evidence from the real shapes, and says
what it saw. The rules:

- shape-clash (error): the op that failed, each clashing size with where it came from, and the call
  that made the wrong one (a tensor built from a size read off another tensor, a reshape, a layer
  sized for another axis).
- batch-time (warning): a recurrent module reading the batch axis as time (or the reverse) against
  what the rest of the model says; one position taken along the batch axis of a recurrent output
  where the last step was meant; a model output with no batch axis.
- padding-read (warning): the last position of a padded sequence of unequal lengths, or of a
  bidirectional output (its reverse half has seen one token).
- probabilities (warning or note): scores made by softmax/sigmoid that a loss expecting logits reads
  (in the forward pass, or the loss the model's files name for a returned output).
- dead-module, dead-param, dead-result (warning): registered and used by no code (or only by code
  nothing calls), never read, computed and never used; a note when only another mode or branch uses
  it, or when it is a library's own (see `idle`).
- batch-mix (warning): a softmax or normalisation over the batch axis, or a statistic over it applied
  to each sample.
- gate-saturation (note): most of a gate's values saturated on the example inputs.
"""

from __future__ import annotations

from collections.abc import Callable

from ...record import Finding, Trace
from ..axes import Axes
from ..provenance import Provenance
from . import attention, clash, layout, logits, mixing, padding, pairing, recurrent, shapes, states, waste
from .context import SEVERITY, Context, Facts, Index

__all__ = ["Facts", "Rule", "diagnose"]

Rule = Callable[[Context], list[Finding]]
# The rule modules, in the order their findings are listed within one severity and line; each has `RULES`.
_MODULES = (clash, layout, shapes, pairing, logits, waste, mixing, recurrent, states, attention, padding)


def diagnose(
    trace: Trace, prov: Provenance | None = None, axes: Axes | None = None, facts: Facts | None = None
) -> tuple[Finding, ...]:
    """Every finding for `trace`, most severe first, then in the order of the code."""
    ctx = Context(trace, Index(trace), prov, axes, facts or Facts())
    found = [f for module in _MODULES for rule in module.RULES for f in rule(ctx)]
    return finish(found)


def finish(found: list[Finding]) -> tuple[Finding, ...]:
    """Findings as the doctor reports them: each once, most severe first, then by line."""
    unique = {(f.code, f.where, f.title): f for f in found}
    return tuple(sorted(unique.values(), key=lambda f: (SEVERITY[f.severity], f.source.line if f.source else 0)))
