"""probabilities: a softmax or sigmoid whose values reach a loss that expects logits (or log-probabilities).

Each loss expects one kind of score: nn.CrossEntropyLoss and nn.BCEWithLogitsLoss take logits (they
apply log-softmax or the sigmoid themselves), nn.NLLLoss takes log-probabilities, nn.BCELoss takes
probabilities. A score made by the wrong activation runs without an error: given probabilities, a
logits loss squashes them a second time, so the gradients flatten and training stalls.

The rule reads two kinds of evidence:

- a loss computed in the forward pass (`F.cross_entropy(p, y)`, a loss module) whose input, through
  ops that only move or reshape values, was made by softmax, log_softmax or sigmoid: a warning when
  the loss expects another kind of score;
- a model output made that way and read by nothing else (not weights an attention goes on to use; its
  logits not returned beside it), against the loss the model's files name for that activation's
  family — in code (`criterion = nn.CrossEntropyLoss()`) before prose (`trained with nn.BCELoss`): a
  warning when the named loss expects another kind of score, a note when the files name none, and
  nothing when it is the right one.

log_softmax before a logits loss is only a note: log-softmax of log-probabilities gives them back.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from ...kinds import CallKind, FindingCode, Severity, op_stem
from ...record import Call, Finding, Source, TensorMeta, shape_text
from .context import Context, finding
from .sites import built

LOGITS, LOG_PROBS, PROBS = "logits", "log-probabilities", "probabilities"
# What each loss expects, by op name and by module class.
_EXPECTS = {
    "cross_entropy": LOGITS,
    "CrossEntropyLoss": LOGITS,
    "binary_cross_entropy_with_logits": LOGITS,
    "BCEWithLogitsLoss": LOGITS,
    "nll_loss": LOG_PROBS,
    "NLLLoss": LOG_PROBS,
    "binary_cross_entropy": PROBS,
    "BCELoss": PROBS,
}
# Which activation makes scores for which losses, and what it makes.
_MULTICLASS = frozenset({"cross_entropy", "CrossEntropyLoss", "nll_loss", "NLLLoss"})
_BINARY = frozenset({"binary_cross_entropy_with_logits", "BCEWithLogitsLoss", "binary_cross_entropy", "BCELoss"})
_ACTIVATIONS = {  # op name or module class -> (kind, what it makes, the losses of its family)
    "softmax": ("softmax", PROBS, _MULTICLASS),
    "Softmax": ("softmax", PROBS, _MULTICLASS),
    "log_softmax": ("log_softmax", LOG_PROBS, _MULTICLASS),
    "LogSoftmax": ("log_softmax", LOG_PROBS, _MULTICLASS),
    "sigmoid": ("sigmoid", PROBS, _BINARY),
    "Sigmoid": ("sigmoid", PROBS, _BINARY),
}
# Ops that hand values on position for position (or only regroup them): the scores stay what they were.
_MOVES = frozenset(
    "view reshape flatten squeeze unsqueeze transpose permute contiguous clone detach float double half to "
    "type_as getitem unflatten movedim swapaxes".split()
)
_MOVE_MODULES = frozenset({"Flatten", "Unflatten", "Identity", "Dropout"})
_TRAINED_WITH = re.compile(r"(?:trained (?:with|on|using)|for|with)\s+(?:nn\.|F\.)?(\w+(?:Loss|_loss|entropy\w*))")


@dataclass(frozen=True)
class _Scores:
    """An activation whose output is the scores a loss reads: the call, its kind, what it makes."""

    call: Call
    kind: str
    makes: str
    family: frozenset[str]


def probabilities(ctx: Context) -> list[Finding]:
    """Report scores made by an activation that the loss reading them (in the pass, or named by the files)
    does not expect."""
    found: dict[str, Finding] = {}
    for c in ctx.trace.calls:
        loss = _loss_name(c)
        scores = _scores_behind(ctx, c.inputs[0]) if loss is not None and c.inputs else None
        if loss is not None and scores is not None and loss in scores.family:
            f = _fed(ctx, scores, loss, c)
            if f is not None:
                found.setdefault(scores.call.id, f)
    for t in ctx.trace.outputs:
        scores = _scores_behind(ctx, t)
        if scores is not None and scores.call.id not in found and _only_returned(ctx, scores):
            f = _returned(ctx, scores, t)
            if f is not None:
                found[scores.call.id] = f
    return list(found.values())


def _loss_name(c: Call) -> str | None:
    """The loss `c` computes (`cross_entropy`, `CrossEntropyLoss`), if it is one the rule knows."""
    name = op_stem(c.name) if c.kind != CallKind.MODULE else c.type
    return name if name in _EXPECTS else None


def _scores_behind(ctx: Context, t: TensorMeta) -> _Scores | None:
    """The activation that made `t`, looking back through ops that only move values."""
    for _ in range(6):
        c = ctx.index.made_by(t, inner=True)
        if c is None or not c.inputs:
            return None
        name = op_stem(c.name) if c.kind != CallKind.MODULE else c.type
        if name in _ACTIVATIONS:
            kind, makes, family = _ACTIVATIONS[name]
            return _Scores(c, kind, makes, family)
        if name not in _MOVES and not (c.kind == CallKind.MODULE and c.type in _MOVE_MODULES):
            return None
        t = c.inputs[0]
    return None


def _only_returned(ctx: Context, s: _Scores) -> bool:
    """The activation's values are returned and read by nothing that computes with them (attention weights
    are multiplied on), and the scores it was given are not returned beside them (logits and probabilities)."""
    before = s.call.inputs[0]
    if before.tid in ctx.index.final:
        return False
    frontier, seen = list(s.call.outputs), 0
    while frontier and seen < 40:
        t = frontier.pop()
        seen += 1
        for rid in ctx.index.readers(t.tid):
            r = ctx.index.get(rid)
            if r is None or r.bookkeeping:
                continue
            name = op_stem(r.name) if r.kind != CallKind.MODULE else r.type
            if name not in _MOVES and r.type not in _MOVE_MODULES:
                return False
            frontier += list(r.outputs)
    return True


def _where(ctx: Context, c: Call) -> Source | None:
    """The user's line of an activation: where it runs, or where its module was built (in an nn.Sequential)."""
    if c.source is not None:
        return c.source
    b = built(ctx, c) if c.kind == CallKind.MODULE else None
    return b.source if b is not None else None


def _verdict(makes: str, expects: str, kind: str) -> Severity | None:
    """A warning when the loss expects another kind of score; a note for log-softmax before a logits loss
    (log-softmax of log-probabilities gives them back); nothing when it is the right kind."""
    if makes == expects:
        return None
    return Severity.NOTE if kind == "log_softmax" and expects == LOGITS else Severity.WARNING


def _fed(ctx: Context, s: _Scores, loss: str, c: Call) -> Finding | None:
    """`s`'s values read by loss call `c` in the forward pass."""
    expects = _EXPECTS[loss]
    severity = _verdict(s.makes, expects, s.kind)
    if severity is None:
        return None
    at = f" at line {c.source.line}" if c.source else ""
    x = s.call.outputs[0]
    return finding(
        severity,
        FindingCode.PROBABILITIES,
        f"{loss} reads {s.makes} made by {s.kind}; it expects {expects}",
        _where(ctx, s.call),
        f"{s.kind} makes {shape_text(x.shape)} {s.makes}, and {loss}{at} reads them",
        _why(s, loss, expects),
        _fix(s, loss, expects),
        [s.call.id, c.id],
    )


def _returned(ctx: Context, s: _Scores, t: TensorMeta) -> Finding | None:
    """`s`'s values returned as model output `t`, against the loss the files name for its family."""
    named = _named_losses(ctx, s.family)
    if not named and s.kind == "log_softmax":
        return None  # log-probabilities are an output of their own (nn.NLLLoss, sampling)
    verdicts = {_verdict(s.makes, _EXPECTS[n], s.kind) for n in named}
    if named and verdicts == {None}:
        return None  # the files name the loss that expects exactly these scores
    severity = Severity.WARNING if verdicts == {Severity.WARNING} else Severity.NOTE
    wrong = next((n for n in named if _verdict(s.makes, _EXPECTS[n], s.kind) is not None), None)
    loss = wrong or ("CrossEntropyLoss" if s.kind != "sigmoid" else "BCEWithLogitsLoss")
    said = f"the model's file names {', '.join(named)}" if named else "the model's file names no loss"
    shown = "the output" if t.path == "output" else f"the output {t.path.removeprefix('output')}"
    return finding(
        severity,
        FindingCode.PROBABILITIES,
        f"the model ends in {s.kind}: it returns {s.makes}, not logits",
        _where(ctx, s.call),
        f"{shown} {shape_text(t.shape)} is made by {s.kind} ({said})",
        _why(s, loss, _EXPECTS[loss]) if named else _unnamed_why(s, loss),
        _fix(s, loss, _EXPECTS[loss]),
        [s.call.id],
    )


def _why(s: _Scores, loss: str, expects: str) -> str:
    if expects == LOGITS:
        again = "log-softmax" if loss in _MULTICLASS else "the sigmoid"
        if s.kind == "log_softmax":
            return f"{loss} applies log-softmax itself; on log-probabilities it changes nothing: {s.kind} is redundant"
        return (
            f"{loss} applies {again} itself; given {s.makes} it applies it a second time, so every score is squashed "
            "into a narrow range and the gradients flatten: training slows or stalls"
        )
    if expects == LOG_PROBS:
        return f"{loss} expects log-probabilities; given {s.makes} it computes a loss that is not the log-likelihood"
    return f"{loss} expects probabilities; given {s.makes} it computes the wrong loss (or fails outside [0, 1])"


def _unnamed_why(s: _Scores, loss: str) -> str:
    again = "log-softmax" if loss in _MULTICLASS else "the sigmoid"
    return (
        f"if it is trained with nn.{loss} (which applies {again} itself), {again} runs a second time on "
        f"{s.makes}: the scores are squashed into a narrow range and the gradients flatten"
    )


def _fix(s: _Scores, loss: str, expects: str) -> str:
    if expects == LOGITS:
        return f"give {loss} the scores before {s.kind} (apply {s.kind} only where you need {s.makes})"
    if expects == LOG_PROBS:
        return f"use log_softmax for {loss}, or give the logits to CrossEntropyLoss"
    return f"apply sigmoid before {loss}, or give the logits to BCEWithLogitsLoss"


def _named_losses(ctx: Context, family: frozenset[str]) -> list[str]:
    """The losses of `family` the model's files name: in code if they name any there (`nn.BCELoss` in a
    docstring is not code), else the first one the prose says the model is trained with."""
    in_code = sorted({n for text in ctx.facts.sources.values() for n in _code_names(text)} & family)
    if in_code:
        return in_code
    stated = _TRAINED_WITH.search(ctx.facts.text())
    return [stated[1]] if stated is not None and stated[1] in family else []


@lru_cache(maxsize=64)
def _code_names(text: str) -> frozenset[str]:
    """Every name and attribute the code of one file spells (not its strings or comments)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
    return frozenset(names)


RULES = (probabilities,)
