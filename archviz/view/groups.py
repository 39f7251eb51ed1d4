"""Mask and constant construction, folded into one box: the `zeros`, `ones`, `arange`, `triu`,
comparisons and scalings that build an attention mask (or any constant) before it is used.

An op belongs to such a construction when it makes a tensor from nothing (`zeros`, `arange`,
`new_full`, …) or computes only from other construction ops and integer or boolean model inputs
(an `attention_mask` of 0s and 1s). Two or more connected ones, outside any loop, in one frame,
become one box that says how many ops it holds.
"""

from __future__ import annotations

from collections.abc import Callable

from ..kinds import INPUT_PRODUCER, CallKind
from ..record import Call, TensorMeta, Trace, is_call_id

CREATION = frozenset(
    {"zeros", "ones", "full", "empty", "arange", "range", "linspace", "eye", "tensor", "as_tensor",
     "zeros_like", "ones_like", "full_like", "empty_like", "new_zeros", "new_ones", "new_full",
     "new_empty", "new_tensor", "tril_indices", "triu_indices"}
)  # fmt: skip
MASKING = frozenset(
    {"eq", "ne", "lt", "le", "gt", "ge", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
     "logical_not", "logical_and", "logical_or", "bitwise_not", "__invert__", "__and__", "__or__",
     "masked_fill", "masked_fill_", "where", "triu", "tril", "triu_", "tril_"}
)  # fmt: skip
_FLOATS = ("float", "bfloat", "complex")


def _origin(trace: Trace, t: TensorMeta, hidden: Callable[[str], bool]) -> TensorMeta:
    """The tensor as made before bookkeeping (`.to(dtype)`, `.bool()`) passed it on."""
    for _ in range(20):
        if not is_call_id(t.producer) or not hidden(t.producer):
            return t
        call = trace.call(t.producer)
        if not call.inputs:
            return t
        t = call.inputs[0]
    return t


def groups(
    trace: Trace, candidates: list[Call], hidden: Callable[[str], bool], frame_of: Callable[[str], str | None]
) -> dict[str, tuple[str, list[str]]]:
    """Group id -> (title, member call ids) for the construction ops among `candidates` (visible op
    calls outside loops, in execution order); `hidden(id)` says a call is folded bookkeeping."""
    member: dict[str, str] = {}  # call id -> representative of its component
    masking: set[str] = set()
    for c in candidates:
        if c.kind != CallKind.OP or not c.outputs:
            continue
        name = c.name.strip("_") if c.name.startswith("__") else c.name
        sources = [_origin(trace, t, hidden) for t in c.inputs]
        if c.name not in CREATION:
            ok = all(
                (s.producer == INPUT_PRODUCER and not s.dtype.startswith(_FLOATS)) or s.producer in member
                for s in sources
            )
            if not ok or not sources:
                continue
        roots = {member[s.producer] for s in sources if s.producer in member}
        roots = {r for r in roots if frame_of(r) == frame_of(c.id)}
        root = min(roots, default=c.id)
        for cid, r in list(member.items()):
            if r in roots:
                member[cid] = root
        member[c.id] = root
        if c.name in MASKING or name in MASKING or any(s.producer == INPUT_PRODUCER for s in sources):
            masking.add(root)
        if masking & roots:
            masking.add(root)
    components: dict[str, list[str]] = {}
    for cid, root in member.items():
        components.setdefault(root, []).append(cid)
    out = {}
    for root, ids in components.items():
        if len(ids) >= 2:
            title = "mask construction" if root in masking else "constants"
            out["grp-" + root] = (title, sorted(ids))
    return out
