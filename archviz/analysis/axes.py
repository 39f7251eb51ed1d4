"""Names for the axis groups of a trace (B, T, F, C or the user's own) and how sizes are written with them.

A group is named from three sources, strongest first: the user's `--dims input_ids=B,T` or
`example_dims()`; what modules document about their inputs (`Call.layouts`: a sequence-first nn.LSTM
reads dim 0 of its input as T), by majority; and conventions, used only when nothing else names the
group: a 2-D integer model input is token ids (dim 0 B, dim 1 T), and the axis that leads every input
and every output, mapped row by row by a layer with weights, is the batch (PyTorch's `[N, …]`). A
module's claim counts for a group only where that dim's size is exactly the group (its origin is
1·group + 0). Every claim is kept with the call that made it and a sentence, and claims that disagree
are kept as conflicts: a batch axis that an LSTM reads as T is how the doctor finds batch and time
confused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ..record import Trace, named_path
from . import claims
from .claims import BATCH, RANK, TIME, Claim, Evidence
from .provenance import MODEL_INPUT, Key, Origin, Provenance

__all__ = ["BATCH", "TIME", "Axes", "Claim", "Evidence", "describe", "dim_names", "name_axes"]


@dataclass(frozen=True)
class Axes:
    """The names of the axis groups.

    Args:
        names: group id -> its name; groups nothing names are left out.
        evidence: group id -> every distinct claim about it, agreeing or not: the one its name comes from
            first, then the rest in order of strength.
        conflicts: (group, the claim its name comes from, a claim of another name).
        sources: group id -> how the code would ask for it: `x.size(1)` (its first member, the model
            input named as the forward parameter).
    """

    names: Mapping[str, str]
    evidence: Mapping[str, tuple[Evidence, ...]]
    conflicts: tuple[tuple[str, Evidence, Evidence], ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    def label(self, group: str) -> str:
        """The group's name; for a group nothing names, `x.size(1)`; else its id."""
        return self.names.get(group) or self.sources.get(group) or group


def unknown_inputs(base: Trace, given: Mapping[str, tuple[str, ...]]) -> tuple[list[str], list[str]]:
    """(names in `given` that are no model input, the model inputs' names): `--dims nosuch=B` is a typo to
    report, not a wish to ignore."""
    root = base.calls[0] if base.calls else None
    arg_names = root.arg_names if root is not None else ()
    known = [named_path(t.path, arg_names) for t in base.inputs]
    accepted = set(known) | {t.path for t in base.inputs}
    return [name for name in given if name not in accepted], known


def name_axes(base: Trace, prov: Provenance, given: Mapping[str, tuple[str, ...]] | None = None) -> Axes:
    """Name the axis groups of `prov` from the user's names, the modules' layouts and conventions.

    Args:
        base: the trace the provenance was inferred for.
        prov: its provenance (groups and origins).
        given: model-input name -> names of its dims (`{"input_ids": ("B", "T")}`), the input named as
            the root call's forward parameters give it (`batch.mask` for `args[0].mask`); a raw path
            (`args[0]`) works too. `*`, `_`, `?` or `` leave a dim unnamed.

    Several groups with one name keep it for the first; later ones get a number (`T2`) unless the
    user gave the name.
    """
    root = base.calls[0] if base.calls else None
    root_id = root.id if root is not None else MODEL_INPUT
    arg_names = root.arg_names if root is not None else ()
    member = {m: e.group for e in prov.groups for m in e.members}
    found: dict[str, dict[str, Evidence]] = {e.group: {} for e in prov.groups}

    def add(group: str | None, ev: Evidence) -> None:
        if group is not None and group in found:
            found[group].setdefault(ev.text, ev)

    # `_decide` breaks ties by the order claims of one kind were added in: inputs first, then calls
    claims.given_claims(base, prov, member, given or {}, root_id, arg_names, add)
    claims.loop_claims(base, prov, member, root_id, arg_names, add)  # before conventions: a loop's wins a tie
    claims.token_claims(base, member, root_id, arg_names, add)
    claims.layout_claims(base, prov, add)
    claims.output_claims(base, prov, root_id, arg_names, add)
    claims.row_claims(base, prov, root_id, arg_names, add)
    names, evidence, conflicts = _decide(prov, found)
    return Axes(names, evidence, conflicts, _sources(prov, arg_names))


def _sources(prov: Provenance, arg_names: tuple[str, ...]) -> dict[str, str]:
    """Write each group the way the code would ask for it: `x.size(1)`, from its first member."""
    return {
        e.group: f"{named_path(e.members[0][0], arg_names)}.size({e.members[0][1]})" for e in prov.groups if e.members
    }


def _decide(
    prov: Provenance, found: dict[str, dict[str, Evidence]]
) -> tuple[dict[str, str], dict[str, tuple[Evidence, ...]], tuple[tuple[str, Evidence, Evidence], ...]]:
    """Choose each group's name (the strongest kind of claim, by majority; see `RANK`) and list the conflicts.

    A module whose layout a stronger claim contradicts on one axis (an RNN reading the batch as time)
    names no other axis either: its layout is wrong as a whole.
    """
    rank = RANK
    names: dict[str, str] = {}
    evidence: dict[str, tuple[Evidence, ...]] = {}
    conflicts: list[tuple[str, Evidence, Evidence]] = []
    taken: Counter[str] = Counter()
    wrong = _contradicted(prov, found)
    for e in prov.groups:
        claims = tuple(sorted(found[e.group].values(), key=lambda ev: rank[ev.claim]))
        if not claims:
            continue
        evidence[e.group] = claims
        trusted = [ev for ev in claims if ev.call not in wrong or ev.claim != Claim.LAYOUT] or list(claims)
        strongest = [ev for ev in trusted if ev.claim == trusted[0].claim]
        votes = Counter(ev.name for ev in strongest)
        top = max(votes.values())
        chosen = next(ev for ev in strongest if votes[ev.name] == top)  # a tie goes to the first claim
        name = chosen.name
        taken[name] += 1
        if taken[name] > 1 and chosen.claim != Claim.GIVEN:
            name = f"{name}{taken[name]}"
        names[e.group] = name
        evidence[e.group] = (chosen, *(ev for ev in claims if ev is not chosen))  # the reason first
        conflicts += [(e.group, chosen, ev) for ev in claims if ev.name != chosen.name]
    return names, evidence, tuple(conflicts)


def _contradicted(prov: Provenance, found: dict[str, dict[str, Evidence]]) -> set[str]:
    """Calls whose documented layout names an axis otherwise than a stronger claim does."""
    wrong: set[str] = set()
    for e in prov.groups:
        claims = sorted(found[e.group].values(), key=lambda ev: RANK[ev.claim])
        if claims and RANK[claims[0].claim] < RANK[Claim.LAYOUT]:
            wrong |= {ev.call for ev in claims if ev.claim == Claim.LAYOUT and ev.name != claims[0].name}
    return wrong


def dim_names(prov: Provenance, axes: Axes) -> dict[Key, str]:
    """The name of every size that is exactly one named group (1·group + 0): names spread along provenance."""
    out: dict[Key, str] = {}
    for key, origin in prov.origins.items():
        group = origin.group
        if group is not None and group in axes.names:
            out[key] = axes.names[group]
    return out


def describe(origin: Origin, axes: Axes) -> str:
    """A size's origin as text: `T`, `T−1`, `T+2`, `2·T`, `T/2`, `B·T`, `B·4`, `20`, `≈T/2`, `f(B, T)`.

    A constant factor is written first (`2·T`, a doubling) except in a term with the batch axis B,
    where it comes last (`B·4`: the batch times heads or beams). Names in a product go B, T, then the
    rest in group order. An inexact origin shows its slope alone, after `≈`; several axes added with
    weights or a constant show only what the size depends on (`f(B, T)`). A group nothing names
    is written the way the code would ask for it (`x.size(1)`, see `Axes.label`).
    """
    if origin.constant:
        return _number(origin.offset)
    if _entangled(origin):  # `B·7+T−9` would be a fit, not a derivation: say what it depends on
        groups = [g for g, _ in origin.terms] + list(origin.product)
        return "f(" + ", ".join(dict.fromkeys(axes.label(g) for g in groups)) + ")"
    parts = [_term((g,), coef, axes) for g, coef in origin.terms]
    if origin.product:
        parts.append(_term(origin.product, origin.factor, axes))
    if origin.exact and origin.offset:
        parts.append(_number(origin.offset))
    text = parts[0]
    for p in parts[1:]:
        text += p if p.startswith("−") else "+" + p
    return text if origin.exact else "≈" + text


def _entangled(origin: Origin) -> bool:
    """Several axes added with weights or a constant (`B·7+T−9`, the length of a packed batch, which follows
    the values of `lengths`): a linear fit to the runs, not how the code derives the size. A plain sum of
    axes (`T+S`, a concatenation) or one axis with a constant (`T−1`) is a derivation."""
    count = len(origin.terms) + (1 if origin.product else 0)
    if count < 2:
        return False
    plain = all(abs(c) == 1 for _, c in origin.terms) and (not origin.product or origin.factor == 1)
    return not plain or origin.offset != 0


def _term(groups: tuple[str, ...], coef: Fraction, axes: Axes) -> str:
    """One term: the groups' names multiplied, and the coefficient (`2·T`, `B·4`, `B·T`, `T/2`, `−S`)."""
    names = [axes.label(g) for g in groups]
    order = sorted(range(len(names)), key=lambda i: (names[i] != BATCH, names[i] != TIME, i))
    body = "·".join(names[i] for i in order)
    top, bottom = abs(coef.numerator), coef.denominator
    if top != 1:
        body = f"{body}·{top}" if BATCH in names else f"{top}·{body}"
    if bottom != 1:
        body = f"{body}/{bottom}"
    return ("−" if coef < 0 else "") + body


def _number(value: Fraction) -> str:
    """An integer or fraction with a real minus sign (`−1`, `3/2`)."""
    text = str(abs(value.numerator)) if value.denominator == 1 else f"{abs(value.numerator)}/{value.denominator}"
    return ("−" if value < 0 else "") + text
