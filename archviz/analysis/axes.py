"""Names for the axis groups of a trace (B, T, F, C or the user's own) and how sizes are written with them.

A group is named from three sources, strongest first: the user's `--dims input_ids=B,T` or
`example_dims()`; what modules document about their inputs (`Call.layouts`: a sequence-first nn.LSTM
reads dim 0 of its input as T), by majority; and a convention for a 2-D integer model input (token
ids: dim 0 B, dim 1 T), used only when nothing else names the group. A module's claim counts for a
group only where that dim's size is exactly the group (its origin is 1·group + 0). Every claim is
kept with the call that made it and a sentence, and claims that disagree are kept as conflicts: a
batch axis that an LSTM reads as T is how the doctor finds batch and time confused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from ..kinds import CallKind
from ..record import Call, Trace, named_path
from .provenance import IN, MODEL_INPUT, Key, Origin, Provenance

BATCH = "B"
TIME = "T"
ANY = "*"  # in a layout: any number of further dims
_UNNAMED = frozenset({ANY, "", "_", "?"})  # a dim a layout or the user's list leaves without a name
_INTEGER = ("int", "uint")


class Claim(StrEnum):
    """Where a name for a group comes from, strongest first."""

    GIVEN = "given"  # the user's --dims or example_dims()
    LAYOUT = "layout"  # a module's documented input layout
    CONVENTION = "convention"  # a 2-D integer model input is (B, T)


@dataclass(frozen=True)
class Evidence:
    """One claim that a group is a named axis.

    Args:
        name: the axis it names (`B`, `T`, `F`, `C`, or the user's name).
        call: the base call that makes the claim (the root call for given names and conventions).
        text: a sentence for the reader (`LSTM 'lstm' (batch_first=False) reads dim 0 (size 7) of input as T`).
        claim: the kind of source.
    """

    name: str
    call: str
    text: str
    claim: Claim


@dataclass(frozen=True)
class Axes:
    """The names of the axis groups.

    Args:
        names: group id -> its name; groups nothing names are left out.
        evidence: group id -> every distinct claim about it, agreeing or not, in order of strength.
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
    _given_claims(base, prov, member, given or {}, root_id, arg_names, add)
    _token_claims(base, member, root_id, arg_names, add)
    _loop_claims(base, prov, member, root_id, arg_names, add)
    _layout_claims(base, prov, add)
    names, evidence, conflicts = _decide(prov, found)
    return Axes(names, evidence, conflicts, _sources(prov, arg_names))


_Adder = Callable[[str | None, Evidence], None]


def _given_claims(
    base: Trace,
    prov: Provenance,
    member: Mapping[tuple[str, int], str],
    given: Mapping[str, tuple[str, ...]],
    root_id: str,
    arg_names: tuple[str, ...],
    add: _Adder,
) -> None:
    """Claim the names the user gave the dims of the model inputs."""
    for i, t in enumerate(base.inputs):
        shown = named_path(t.path, arg_names)
        said = given.get(shown, given.get(t.path, ()))
        for d, name in enumerate(said[: len(t.shape)]):
            if name in _UNNAMED:
                continue
            text = f"dim {d} (size {t.shape[d]}) of {shown} is named {name} by the user"
            group = member.get((t.path, d)) or _single(prov, (MODEL_INPUT, IN, i, d))
            add(group, Evidence(name, root_id, text, Claim.GIVEN))


def _token_claims(
    base: Trace, member: Mapping[tuple[str, int], str], root_id: str, arg_names: tuple[str, ...], add: _Adder
) -> None:
    """Claim B and T for the dims of every 2-D integer model input (token ids), by convention."""
    for t in base.inputs:
        if len(t.shape) != 2 or not t.dtype.startswith(_INTEGER):
            continue
        shown = named_path(t.path, arg_names)
        for d, name in enumerate((BATCH, TIME)):
            text = f"{shown} is a 2-D integer input (token ids): dim {d} (size {t.shape[d]}) is {name}, by convention"
            add(member.get((t.path, d)), Evidence(name, root_id, text, Claim.CONVENTION))


def _layout_claims(base: Trace, prov: Provenance, add: _Adder) -> None:
    """Claim the names every call's documented input layouts give the dims it reads."""
    for c in base.calls:
        for k, layout in enumerate(c.layouts[: len(c.inputs)]):
            t = c.inputs[k]
            for d, name in _place(layout, len(t.shape)):
                group = _single(prov, (c.id, IN, k, d))
                if group is not None:
                    what = named_path(t.path, c.arg_names)
                    text = f"{_who(c)} reads dim {d} (size {t.shape[d]}) of {what} as {name}"
                    add(group, Evidence(name, c.id, text, Claim.LAYOUT))


def _sources(prov: Provenance, arg_names: tuple[str, ...]) -> dict[str, str]:
    """Write each group the way the code would ask for it: `x.size(1)`, from its first member."""
    return {
        e.group: f"{named_path(e.members[0][0], arg_names)}.size({e.members[0][1]})" for e in prov.groups if e.members
    }


def _loop_claims(
    base: Trace,
    prov: Provenance,
    member: Mapping[tuple[str, int], str],
    root_id: str,
    arg_names: tuple[str, ...],
    add: Callable[[str | None, Evidence], None],
) -> None:
    """A Python loop over time that runs once per position of a model input's dim names that dim T; the
    other leading dim of that 3-D sequence input (features last) is then B. Conventions: weaker than layouts."""
    from .loops import rolling_for

    counts = {lp.count for lp in rolling_for(base, all_ops=False).time_loops}
    if _unbind_claims(base, prov, root_id, add):
        return
    for t in base.inputs:
        if len(t.shape) != 3 or t.dtype.startswith(_INTEGER):
            continue
        shown = named_path(t.path, arg_names)
        for d in (0, 1):
            if t.shape[d] in counts and t.shape[1 - d] != t.shape[d]:
                loop = f"a loop runs once per position of dim {d} (size {t.shape[d]}) of {shown}: it is {TIME}"
                add(member.get((t.path, d)), Evidence(TIME, root_id, loop, Claim.CONVENTION))
                other = (
                    f"dim {1 - d} (size {t.shape[1 - d]}) of {shown}, a sequence input looped over dim {d}, is {BATCH}"
                )
                add(member.get((t.path, 1 - d)), Evidence(BATCH, root_id, other, Claim.CONVENTION))
                break


def _unbind_claims(base: Trace, prov: Provenance, root_id: str, add: Callable[[str | None, Evidence], None]) -> bool:
    """`for x_t in x` (or `x.unbind(d)`) of a 3-D float tensor whose dim d follows an input: the loop walks
    time, so that dim is T and the other leading dim B. Seen even when the first step fails. Convention."""
    said = False
    for c in base.calls:
        if c.kind != CallKind.OP or c.name not in _UNBIND or not c.inputs or len(c.outputs) < 2:
            continue
        t = c.inputs[0]
        if len(t.shape) != 3 or t.dtype.startswith(_INTEGER) or len(c.outputs[0].shape) != 2:
            continue
        dropped = [d for d in (0, 1) if t.shape[:d] + t.shape[d + 1 :] == c.outputs[0].shape]
        if len(dropped) != 1 or len(c.outputs) != t.shape[dropped[0]]:
            continue
        d = dropped[0]
        time, batch = _single(prov, (c.id, IN, 0, d)), _single(prov, (c.id, IN, 0, 1 - d))
        if time is None or time == batch:
            continue
        step = f"a loop walks dim {d} (size {t.shape[d]}) of a [{', '.join(map(str, t.shape))}] sequence: it is {TIME}"
        add(time, Evidence(TIME, c.id, step, Claim.CONVENTION))
        other = f"dim {1 - d} (size {t.shape[1 - d]}) of that sequence, looped over dim {d}, is {BATCH}"
        add(batch, Evidence(BATCH, c.id, other, Claim.CONVENTION))
        said = True
    return said


_UNBIND = frozenset({"unbind", "__iter__"})


def _single(prov: Provenance, key: Key) -> str | None:
    """The group a size is exactly (1·group + 0), if any."""
    origin = prov.origins.get(key)
    return origin.group if origin is not None else None


def _place(layout: tuple[str, ...], rank: int) -> list[tuple[int, str]]:
    """(dim, name) for a layout on a tensor of `rank` dims: names before `*` count from the front,
    names after it from the back; without `*` the layout must have exactly `rank` names."""
    if ANY in layout:
        cut = layout.index(ANY)
        front, back = layout[:cut], layout[cut + 1 :]
        if len(front) + len(back) > rank or ANY in back:
            return []
        pairs = list(enumerate(front)) + [(rank - len(back) + i, n) for i, n in enumerate(back)]
    elif len(layout) == rank:
        pairs = list(enumerate(layout))
    else:
        return []  # an unbatched input, or one the layout does not describe
    return [(d, n) for d, n in pairs if n not in _UNNAMED]


def _who(c: Call) -> str:
    """How a claim names its call: `LSTM 'lstm' (batch_first=False)`, or an op's or function's type."""
    if c.kind != CallKind.MODULE:
        return c.type
    text = f"{c.type} '{c.name}'"
    if c.config is not None and not c.config.cell:
        text += f" (batch_first={c.config.batch_first})"
    return text


def _decide(
    prov: Provenance, found: dict[str, dict[str, Evidence]]
) -> tuple[dict[str, str], dict[str, tuple[Evidence, ...]], tuple[tuple[str, Evidence, Evidence], ...]]:
    """Choose each group's name (given > layout majority > convention) and list the conflicts."""
    rank = {Claim.GIVEN: 0, Claim.LAYOUT: 1, Claim.CONVENTION: 2}
    names: dict[str, str] = {}
    evidence: dict[str, tuple[Evidence, ...]] = {}
    conflicts: list[tuple[str, Evidence, Evidence]] = []
    taken: Counter[str] = Counter()
    for e in prov.groups:
        claims = tuple(sorted(found[e.group].values(), key=lambda ev: rank[ev.claim]))
        if not claims:
            continue
        evidence[e.group] = claims
        strongest = [ev for ev in claims if ev.claim == claims[0].claim]
        votes = Counter(ev.name for ev in strongest)
        top = max(votes.values())
        chosen = next(ev for ev in strongest if votes[ev.name] == top)  # a tie goes to the first claim
        name = chosen.name
        taken[name] += 1
        if taken[name] > 1 and chosen.claim != Claim.GIVEN:
            name = f"{name}{taken[name]}"
        names[e.group] = name
        conflicts += [(e.group, chosen, ev) for ev in claims if ev.name != chosen.name]
    return names, evidence, tuple(conflicts)


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
