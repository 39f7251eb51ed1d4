"""The lookups every stage needs over a record's calls, derived once per `Trace` and owned by it.

A `Trace` builds its `Index` on first use and never shares it: `dataclasses.replace` makes a new
record with an index of its own, so a copy with fewer calls (a rolled record) cannot corrupt the
original's lookups. Positions come from the calls tuple, never from the digits of a call id: a
rolled record leaves calls out, so its ids skip numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar


class _Tensor(Protocol):
    @property
    def producer(self) -> str | None: ...

    @property
    def tid(self) -> str: ...


class _Call(Protocol):
    """What the index reads of a call (`record.Call`); a protocol, so that `trace` may import this module."""

    @property
    def id(self) -> str: ...

    @property
    def parent(self) -> str | None: ...

    @property
    def inputs(self) -> Sequence[_Tensor]: ...

    @property
    def outputs(self) -> Sequence[_Tensor]: ...


Call = TypeVar("Call", bound=_Call)


def _producer_is_call(ref: str | None) -> bool:
    return ref is not None and ref.startswith("call-")


@dataclass(frozen=True)
class Index(Generic[Call]):
    """Positions, children, subtree ends and readers of a calls tuple.

    Args:
        calls: the record's calls, in execution order.
    """

    calls: tuple[Call, ...]
    _position: dict[str, int] = field(init=False, repr=False, compare=False)
    _children: dict[str | None, tuple[Call, ...]] = field(init=False, repr=False, compare=False)
    _ends: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _readers: dict[str, tuple[Call, ...]] | None = field(default=None, init=False, repr=False, compare=False)
    _flow: _Flow | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        position = {c.id: i for i, c in enumerate(self.calls)}
        kids: dict[str | None, list[Call]] = {}
        for c in self.calls:
            kids.setdefault(c.parent, []).append(c)
        ends = list(range(len(self.calls)))
        for i in range(len(self.calls) - 1, -1, -1):  # children come after their parents
            parent = self.calls[i].parent
            p = position.get(parent) if parent is not None else None
            if p is not None and ends[i] > ends[p]:
                ends[p] = ends[i]
        object.__setattr__(self, "_position", position)
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in kids.items()})
        object.__setattr__(self, "_ends", tuple(ends))

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._position

    def call(self, call_id: str) -> Call:
        """The call with this id (KeyError when the record has none)."""
        return self.calls[self._position[call_id]]

    def get(self, call_id: str | None) -> Call | None:
        """The call with this id, or None (also for None, `input` or an id the record lacks)."""
        i = self._position.get(call_id) if call_id is not None else None
        return self.calls[i] if i is not None else None

    def position(self, call_id: str) -> int:
        """Where the call stands in execution order: its index in `calls`."""
        return self._position[call_id]

    def end(self, call_id: str) -> int:
        """The position of the last call inside this one (its own position for a leaf)."""
        return self._ends[self._position[call_id]]

    def contains(self, outer: str, inner: str) -> bool:
        """True when `inner` is `outer` or runs inside it."""
        i, o = self._position[inner], self._position[outer]
        return o <= i <= self._ends[o]

    def children(self, call_id: str | None) -> tuple[Call, ...]:
        """The direct children of a call (None: the top-level calls), in order."""
        return self._children.get(call_id, ())

    @property
    def child_map(self) -> Mapping[str | None, tuple[Call, ...]]:
        """Every call id (None for top level) -> its direct children, read-only."""
        return MappingProxyType(self._children)

    def ancestors(self, call_id: str) -> list[Call]:
        """The calls enclosing this one, innermost first."""
        out = []
        parent = self.call(call_id).parent
        while parent is not None and parent in self._position:
            c = self.call(parent)
            out.append(c)
            parent = c.parent
        return out

    def readers(self, call_id: str) -> tuple[Call, ...]:
        """The calls that read a tensor this call produced, in execution order."""
        if self._readers is None:
            found: dict[str, list[Call]] = {}
            for c in self.calls:
                for t in c.inputs:
                    if _producer_is_call(t.producer):
                        bucket = found.setdefault(t.producer, [])  # type: ignore[arg-type]
                        if not bucket or bucket[-1] is not c:
                            bucket.append(c)
            object.__setattr__(self, "_readers", {k: tuple(v) for k, v in found.items()})
        assert self._readers is not None
        return self._readers.get(call_id, ())

    def tensor_readers(self, tid: str) -> tuple[str, ...]:
        """Ids of the calls that read tensor `tid`, in order (once per input it is)."""
        return self._tensors().readers.get(tid, ())

    def tensor_holders(self, tid: str) -> tuple[str, ...]:
        """Ids of the calls whose outputs include tensor `tid` (the call that made it, and those that hand it
        back up), in order."""
        return self._tensors().holders.get(tid, ())

    def tensor_maker(self, tid: str) -> str | None:
        """The id of the innermost call that made tensor `tid` (an op), when one was recorded."""
        return self._tensors().maker.get(tid)

    def _tensors(self) -> _Flow:
        if self._flow is None:
            readers: dict[str, list[str]] = {}
            holders: dict[str, list[str]] = {}
            maker: dict[str, str] = {}
            for c in self.calls:
                for t in c.inputs:
                    readers.setdefault(t.tid, []).append(c.id)
                for t in c.outputs:
                    holders.setdefault(t.tid, []).append(c.id)
                    if t.producer is None:
                        maker.setdefault(t.tid, c.id)
            frozen = _Flow({k: tuple(v) for k, v in readers.items()}, {k: tuple(v) for k, v in holders.items()}, maker)
            object.__setattr__(self, "_flow", frozen)
        assert self._flow is not None
        return self._flow


@dataclass(frozen=True)
class _Flow:
    """Tensor id -> who read it, who held it in their outputs, who made it."""

    readers: dict[str, tuple[str, ...]]
    holders: dict[str, tuple[str, ...]]
    maker: dict[str, str]
