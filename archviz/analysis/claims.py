"""Evidence for the names of the axis groups: who says a group is B, T, F or C, and how strongly.

Claims come from the user (`--dims`, `example_dims()`), from loops that walk a dim (time), from the one
input axis every output keeps (the batch), from what modules document about their inputs
(`Call.layouts`), and from conventions (2-D integer inputs are token ids `[B, T]`). `axes.name_axes`
weighs them (`RANK`, strongest first) and keeps the conflicts the doctor's layout rule reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..kinds import GETITEM, INPUT_PRODUCER, CallKind
from ..record import Call, Rolling, Trace, named_path
from .provenance import IN, MODEL_INPUT, MODEL_OUTPUT, OUT, Experiment, Key, Provenance

BATCH = "B"
TIME = "T"
ANY = "*"  # in a layout: any number of further dims
UNNAMED = frozenset({ANY, "", "_", "?"})  # a dim a layout or the user's list leaves without a name
_INTEGER = ("int", "uint")


class Claim(StrEnum):
    """Where a name for a group comes from, strongest first."""

    GIVEN = "given"  # the user's --dims or example_dims()
    LOOP = "loop"  # a Python loop runs once per position of the dim: it is time
    OUTPUT = "output"  # the one input axis every output keeps, when others are reduced away: the batch
    LAYOUT = "layout"  # a module's documented input layout
    CONVENTION = "convention"  # a 2-D integer model input is (B, T); the other leading dim of a looped input


RANK = {Claim.GIVEN: 0, Claim.LOOP: 1, Claim.OUTPUT: 2, Claim.LAYOUT: 3, Claim.CONVENTION: 4}


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


_Adder = Callable[[str | None, Evidence], None]


def given_claims(
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
            if name in UNNAMED:
                continue
            text = f"dim {d} (size {t.shape[d]}) of {shown} is named {name} by the user"
            group = member.get((t.path, d)) or _single(prov, (MODEL_INPUT, IN, i, d))
            add(group, Evidence(name, root_id, text, Claim.GIVEN))


def token_claims(
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


def layout_claims(base: Trace, prov: Provenance, add: _Adder) -> None:
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


def output_claims(base: Trace, prov: Provenance, root_id: str, arg_names: tuple[str, ...], add: _Adder) -> None:
    """Claim B for the one input axis that every model output keeps while another input axis reaches no
    output at all (a classifier keeps the batch and sums out time): results per sample lead with it."""
    kept: set[str] | None = None
    reached: set[str] = set()
    for i, t in enumerate(base.outputs):
        if not t.shape:
            continue  # a scalar (a loss) keeps no axis and says nothing
        origins = [prov.origins.get((MODEL_OUTPUT, OUT, i, d)) for d in range(len(t.shape))]
        reached |= {g for o in origins if o is not None for g in o.groups}
        mine = {o.group for o in origins if o is not None and o.group is not None}
        kept = mine if kept is None else kept & mine
    tested = {e.group for e in prov.groups if any(not tr.error for tr in e.trials)}
    if not kept or len(kept) != 1 or not (tested - reached):
        return
    (group,) = kept
    exp = next(e for e in prov.groups if e.group == group)
    where = ", ".join(f"{named_path(p, arg_names)} dim {d}" for p, d in exp.members[:2])
    text = f"every output keeps {where} (size {exp.size}) and no other input axis: it is {BATCH}"
    add(group, Evidence(BATCH, root_id, text, Claim.OUTPUT))


def row_claims(base: Trace, prov: Provenance, root_id: str, arg_names: tuple[str, ...], add: _Adder) -> None:
    """Claim B, by PyTorch's batch-first convention (`[N, …]`), for the one axis that leads every model input
    and every model output, when a layer with weights maps it row by row (a leading `*` of its layout,
    nn.Linear's `[*, F]`): the samples of a batch. Any stronger claim (a loop, a sequence-first layout,
    the user) wins over it."""
    exp = _leading(base, prov)
    layer = next((c for c in base.calls if _maps_rows(prov, c, exp.group)), None) if exp is not None else None
    if exp is None or layer is None:
        return
    shown = named_path(next(t.path for t in base.inputs if t.shape), arg_names)
    text = (
        f"dim 0 (size {exp.size}) of {shown} leads every input and every output, and {_who(layer)} maps it row by "
        f"row: it is {BATCH}, by the batch-first convention"
    )
    add(exp.group, Evidence(BATCH, root_id, text, Claim.CONVENTION))


def _leading(base: Trace, prov: Provenance) -> Experiment | None:
    """The axis group at dim 0 of every (non-scalar) model input and output, if one is, and it was grown."""
    inputs = [t for t in base.inputs if t.shape]
    outputs = [i for i, t in enumerate(base.outputs) if t.shape]
    member = {m: e.group for e in prov.groups for m in e.members}
    leading = {member.get((t.path, 0)) for t in inputs}
    if not inputs or not outputs or len(leading) != 1:
        return None
    exp = next((e for e in prov.groups if e.group in leading), None)
    if exp is None or not any(tr.trace is not None and not tr.error for tr in exp.trials):
        return None
    if any(_single(prov, (MODEL_OUTPUT, OUT, i, 0)) != exp.group for i in outputs):
        return None
    return exp


def _maps_rows(prov: Provenance, c: Call, group: str) -> bool:
    """`c` is a layer with weights whose documented layout leaves a leading dim to any size (`[*, F]`), and
    one of those dims is exactly `group`."""
    if c.kind != CallKind.MODULE or not c.params:
        return False
    for k, layout in enumerate(c.layouts[: len(c.inputs)]):
        if not layout or layout[0] != ANY or ANY in layout[1:]:
            continue
        rows = len(c.inputs[k].shape) - (len(layout) - 1)
        if any(_single(prov, (c.id, IN, k, d)) == group for d in range(max(rows, 0))):
            return True
    return False


def loop_claims(
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

    rolling = rolling_for(base, all_ops=False)
    counts = {lp.count for lp in rolling.time_loops}
    if _indexed_claims(base, rolling, member, arg_names, add) | _unbind_claims(base, prov, root_id, add):
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


def _indexed_claims(
    base: Trace, rolling: Rolling, member: Mapping[tuple[str, int], str], arg_names: tuple[str, ...], add: _Adder
) -> bool:
    """`x[t]` inside a loop over time that runs once per position of that dim of model input x: the loop
    walks it, so it is T (the seq2seq tutorial's `input_tensor[ei]` on a [len, 1] batch of one); the other
    dim of a 2-D input is then B."""
    said = False
    counts = {lp.id: lp.count for lp in rolling.time_loops}
    given = {t.tid: t for t in base.inputs}
    for c in base.calls:
        if c.kind != CallKind.OP or c.name != GETITEM or not c.inputs or c.inputs[0].tid not in given:
            continue
        step = rolling.time_step(c.id)
        t = given[c.inputs[0].tid]  # the model input itself, by its path among the inputs
        for d, _index in _integer_positions(c):
            if step is None or d >= len(t.shape) or counts.get(step[0]) != t.shape[d] or t.shape[d] < 2:
                continue
            shown = named_path(t.path, arg_names)
            walk = f"a loop reads {shown}[…] at each of the {t.shape[d]} positions of its dim {d}: it is {TIME}"
            add(member.get((t.path, d)), Evidence(TIME, c.id, walk, Claim.LOOP))
            if d in (0, 1) and len(t.shape) in (2, 3):  # [T, B] / [B, T] ids, or [T, B, F] / [B, T, F] features
                other = f"dim {1 - d} (size {t.shape[1 - d]}) of {shown}, a sequence looped over dim {d}, is {BATCH}"
                add(member.get((t.path, 1 - d)), Evidence(BATCH, c.id, other, Claim.CONVENTION))
            said = True
    return said


def _integer_positions(c: Call) -> list[tuple[int, str]]:
    """(dim, index) for each integer entry of a `__getitem__` index (`x[3]`, `x[:, 0]`)."""
    entries = [(a.path, a.summary) for a in c.args if a.path.startswith("args[1]")]
    if len(entries) == 1 and entries[0][0] == "args[1]":
        entries = [("args[1][0]", entries[0][1])]
    found = []
    for path, text in entries:
        m = re.fullmatch(r"args\[1\]\[(\d+)\]", path)
        if m and re.fullmatch(r"-?\d+", text.strip()):
            found.append((int(m[1]), text))
    return found


def _unbind_claims(base: Trace, prov: Provenance, root_id: str, add: Callable[[str | None, Evidence], None]) -> bool:
    """`for x_t in x` (or `x.unbind(d)`) of a 3-D float tensor whose dim d follows an input: the loop walks
    time, so that dim is T and the other leading dim B. Seen even when the first step fails. A loop over a
    model input says so strongly; over a tensor made inside (`for o in padded_out` may walk the samples
    one by one) only as a convention."""
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
        add(time, Evidence(TIME, c.id, step, Claim.LOOP if t.producer == INPUT_PRODUCER else Claim.CONVENTION))
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
    return [(d, n) for d, n in pairs if n not in UNNAMED]


def _who(c: Call) -> str:
    """How a claim names its call: `LSTM 'lstm' (batch_first=False)`, or an op's or function's type."""
    if c.kind != CallKind.MODULE:
        return c.type
    text = f"{c.type} '{c.name}'"
    if c.config is not None and not c.config.cell:
        text += f" (batch_first={c.config.batch_first})"
    return text
