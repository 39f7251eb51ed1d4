"""Mask and constant construction, folded into one box: the `zeros`, `ones`, `arange`, `triu`,
comparisons and scalings that build an attention mask (or any constant) before it is used.

An op belongs to such a construction when it makes a tensor from nothing (`zeros`, `arange`,
`new_full`, …) or computes only from other construction ops and integer or boolean model inputs
(an `attention_mask` of 0s and 1s). Two or more connected ones, outside any loop, in one frame,
become one box that says how many ops it holds.

Only a group that reads no model input (directly or through another construction) is titled
`constants` (or `mask construction`); one that computes from an input (a sinusoidal timestep
embedding, an extended attention mask) is named for what it makes: the variable its last op's result
is assigned to (`emb`), else that op's name. Its input edge is drawn as any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..kinds import CREATION_OPS, INPUT_PRODUCER, MASKING_OPS, CallKind, op_stem
from ..record import Call, TensorMeta, Trace, is_call_id

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
    masking: set[str] = set()  # representatives, past and present, of components that build a mask
    fed: set[str] = set()  # construction calls that compute from a model input, directly or not
    for c in candidates:
        sources = _sources(trace, c, hidden, member)
        if sources is None:
            continue
        if any(s.producer == INPUT_PRODUCER or s.producer in fed for s in sources):
            fed.add(c.id)
        roots = {member[s.producer] for s in sources if s.producer in member}
        roots = {r for r in roots if frame_of(r) == frame_of(c.id)}  # a component stays in one frame
        root = _join(member, roots, c.id)
        # a merged component's old representatives stay in `masking`: that is how the new one inherits it
        if _masks(c, sources) or masking & roots:
            masking.add(root)
    return _components(trace, member, masking, fed)


def _sources(trace: Trace, c: Call, hidden: Callable[[str], bool], member: dict[str, str]) -> list[TensorMeta] | None:
    """Return the origins of a construction op's inputs; None when `c` is no construction op."""
    if c.kind != CallKind.OP or not c.outputs:
        return None
    sources = [_origin(trace, t, hidden) for t in c.inputs]
    if c.name in CREATION_OPS or (sources and all(_constant(s, member) for s in sources)):
        return sources
    return None


def _constant(s: TensorMeta, member: dict[str, str]) -> bool:
    """Say whether a construction may compute from `s`: an integer or boolean model input, or a construction op's."""
    return (s.producer == INPUT_PRODUCER and not s.dtype.startswith(_FLOATS)) or s.producer in member


def _join(member: dict[str, str], roots: set[str], cid: str) -> str:
    """Merge the components of `roots` and call `cid` into one; return its representative."""
    root = min(roots, default=cid)
    for other, r in list(member.items()):
        if r in roots:
            member[other] = root
    member[cid] = root
    return root


def _masks(c: Call, sources: list[TensorMeta]) -> bool:
    """Say whether `c` builds a mask: a comparison or masking op, or one that reads a model input."""
    name = op_stem(c.name) if c.name.startswith("__") else c.name
    return c.name in MASKING_OPS or name in MASKING_OPS or any(s.producer == INPUT_PRODUCER for s in sources)


def _components(
    trace: Trace, member: dict[str, str], masking: set[str], fed: set[str]
) -> dict[str, tuple[str, list[str]]]:
    """Return the components of two or more calls as groups, titled by what they build."""
    components: dict[str, list[str]] = {}
    for cid, root in member.items():
        components.setdefault(root, []).append(cid)
    out = {}
    for root, ids in components.items():
        if len(ids) < 2:
            continue
        ids = sorted(ids)
        if fed.isdisjoint(ids):
            title = "mask construction" if root in masking else "constants"
        else:
            title = made_name(trace.call(ids[-1]))
        out["grp-" + root] = (title, ids)
    return out


_ASSIGNED = re.compile(r"\s*([A-Za-z_][\w.]*)\s*(?::[^=]+)?=(?!=)")


def made_name(c: Call) -> str:
    """The variable the call's result is assigned to on its source line (`emb = torch.cat(...)`: `emb`),
    else the op's name."""
    code = c.source.code if c.source is not None else ""
    hit = _ASSIGNED.match(code)
    return hit.group(1) if hit else op_stem(c.name) if c.name.startswith("__") else c.name
