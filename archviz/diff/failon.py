"""`--fail-on`: which changes make `archviz diff` exit 1 (a comma list; any one that holds is enough).

any          anything reported (the default)
params       the parameter count changed;  params>5%  by more than 5 %;  params>1000  by more than 1,000
checkpoint   OLD's state dict would not load into NEW as it is (keys missing, unexpected, reshaped, renamed)
outputs      a model output's shape changed, or an output appeared or went
modules      a module was added, removed, renamed or changed
shapes       a tensor handed between two modules changed shape
wiring       a residual was added or removed, or a module reads another input
loops        a loop's or a repeated stack's count changed
gates        a recurrent cell gained or lost a gate
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import UsageError
from .result import Diff

_PARAMS = re.compile(r"^params\s*>\s*(\d+(?:\.\d+)?)\s*(%?)$")

_SIMPLE: dict[str, Callable[[Diff], bool]] = {
    "any": lambda d: d.any,
    "params": lambda d: d.totals[0].params != d.totals[1].params,
    "checkpoint": lambda d: not d.checkpoint.loads,
    "outputs": lambda d: bool(d.outputs),
    "modules": lambda d: bool(d.added or d.removed or d.renamed or d.changed),
    "shapes": lambda d: bool(d.edges),
    "wiring": lambda d: bool(d.wiring),
    "loops": lambda d: bool(d.counts),
    "gates": lambda d: bool(d.gates),
}


def parse(text: str | None) -> tuple[str, ...]:
    """The conditions of a `--fail-on` text (checked now: a usage mistake is said before any model runs)."""
    words = tuple(w.strip().lower() for w in (text or "any").split(",") if w.strip())
    for w in words:
        if w not in _SIMPLE and not _PARAMS.match(w):
            raise UsageError(
                f"--fail-on {text!r}: unknown condition {w!r}; choose from {', '.join(_SIMPLE)}, "
                "or params>N% / params>N (e.g. `--fail-on params>5%,checkpoint`)."
            )
    return words or ("any",)


def failed(d: Diff, conditions: tuple[str, ...]) -> tuple[str, ...]:
    """The conditions that hold for `d` (exit 1 when there is any)."""
    return tuple(w for w in conditions if _holds(d, w))


def _holds(d: Diff, word: str) -> bool:
    m = _PARAMS.match(word)
    if m is None:
        return _SIMPLE[word](d)
    old, new = d.totals[0].params, d.totals[1].params
    limit = float(m[1])
    if m[2]:
        return (old == 0 and new != 0) or (old != 0 and abs(new - old) / old * 100 > limit)
    return abs(new - old) > limit
