"""Which call made each tensor a reader sees: object identity, version counters, and hand-backs.

A tensor's producer is the call that last made or wrote it. Two things make that more than a
lookup by object:
- **Writes in place** (`buf[i] = v`, `x.add_(y)`, `masked_fill_`, `copy_`, an in-place ReLU) change a
  tensor without making a new object. PyTorch counts them in the tensor's version counter, which a
  view shares with its base: a call after which an input's version moved wrote it, and readers after
  the write read a new version (a new tensor id) from the writer — through the base or any view.
- **Hand-backs**: eval-mode Dropout, Identity or a no-op `.contiguous()` return the object they were
  given, unchanged. Readers that got it from that call read from the call; readers that kept the
  object under an earlier name read it as it was before. `Reader.via` decides from the reader's source.

Tensor ids follow execution order (`t-0012`); an entry dies with its tensor.
"""

from __future__ import annotations

import linecache
import weakref
from dataclasses import dataclass
from types import FrameType
from typing import NamedTuple

import torch

from .. import record
from . import aliases
from .walk import tensor_meta


def version(t: torch.Tensor) -> int:
    """The tensor's version counter (-1 for inference tensors, which keep none)."""
    try:
        return t._version
    except RuntimeError:
        return -1


def _base(t: torch.Tensor) -> torch.Tensor:
    return t if t._base is None else t._base


@dataclass(frozen=True)
class Site:
    """Where the user's code made a call: its frame, line, and the names that line assigns."""

    frame: FrameType | None
    line: int
    names: frozenset[str]


class State(NamedTuple):
    """One state of a tensor object: its id and producer, and, for a hand-back, the call that handed it
    back, where, and the state that call read (`parent`), which readers from before the call still see.
    (A NamedTuple: one is made for every tensor a call returns.)"""

    tid: str
    producer: str | None
    seq: int = 0  # when the state began, on the table's clock
    site: Site | None = None  # set when the state was made by a hand-back
    parent: State | None = None


class Reader:
    """Where a call read its inputs: the user's frame and line, and how the callee is named there.

    Made for every call, so it only holds references; the source line and the names it assigns are
    read when a hand-back needs them.

    Args:
        frame: the user's frame that made the call (None when none was found).
        callee: the module's attribute name (`drop`) or the op's name (`cat`, `add`).
        method: the op was called as a tensor method (`x.sigmoid()`).
        module: the callee is a module (called through a name, or a loop variable).
    """

    __slots__ = ("callee", "frame", "line", "method", "module")

    def __init__(self, frame: FrameType | None, callee: str, method: bool = False, module: bool = False) -> None:
        self.frame, self.callee, self.method, self.module = frame, callee, method, module
        self.line = frame.f_lineno if frame is not None else 0

    @property
    def code(self) -> str:
        """The source line of the call."""
        return linecache.getline(self.frame.f_code.co_filename, self.line) if self.frame is not None else ""

    @property
    def site(self) -> Site:
        """The frame, the line and the names that line assigns."""
        return Site(self.frame, self.line, aliases.targets(self.code))

    def via(self, handed: Site, path: str, obj: torch.Tensor) -> bool:
        """True when argument `path` came out of the call that handed `obj` back at `handed`."""
        frame = self.frame
        if frame is None or frame is not handed.frame:
            return True  # passed across frames: the latest binding is the best evidence there is
        found = aliases.argument(self.code, self.callee, path, method=self.method, module=self.module)
        if found is not None:
            names, makes_call = found
            return makes_call or bool(names & handed.names) or not names
        if self.line == handed.line:
            return True  # a nested call on the hand-back's own line: `fc2(drop(h))`
        bound = {n for n, v in frame.f_locals.items() if v is obj}
        return not bound or bool(bound & handed.names)


class _Entry:
    __slots__ = ("ref", "state", "version")

    def __init__(self, ref: weakref.ref[torch.Tensor], state: State, version: int) -> None:
        self.ref, self.state, self.version = ref, state, version


class TensorTable:
    """Tensor id, producer and version of every tensor object seen during one trace."""

    def __init__(self) -> None:
        self.entries: dict[int, _Entry] = {}
        self.writes: dict[int, tuple[weakref.ref[torch.Tensor], str, int]] = {}  # base -> (ref, writer, version)
        self.read_states: dict[tuple[str, int], State] = {}  # (call id, object id) -> the state that call read
        self.open: list[tuple[str, int]] = []  # module calls under way, with the clock when they began
        self.clock = 0
        self.next_tid = 0

    def _new_tid(self) -> str:
        tid = f"t-{self.next_tid:04d}"
        self.next_tid += 1
        return tid

    def _state(self, tid: str, producer: str | None, site: Site | None = None, parent: State | None = None) -> State:
        self.clock += 1
        return State(tid, producer, self.clock, site, parent)

    def enter(self, call: str) -> None:
        """A module call begins: inside it, its arguments are what it was given."""
        self.open.append((call, self.clock))

    def leave(self, call: str) -> None:
        while self.open and self.open.pop()[0] != call:
            pass

    def _given(self, key: int) -> tuple[State, int] | None:
        """The state in which the innermost module call under way received object `key`, and when."""
        for call, began in reversed(self.open):
            state = self.read_states.get((call, key))
            if state is not None:
                return state, began
        return None

    def _writer(self, t: torch.Tensor, now: int) -> str | None:
        base = _base(t)
        hit = self.writes.get(id(base))
        return hit[1] if hit is not None and hit[0]() is base and hit[2] == now else None

    def entry(self, t: torch.Tensor, maker: str | None = None) -> _Entry:
        """The live entry of `t`, brought up to date with writes made since it was last seen; a tensor
        seen for the first time was made by `maker` (or by a write to its base, or is a constant)."""
        entry = self.entries.get(id(t))
        now = version(t)
        if entry is None or entry.ref() is not t:
            # A fresh tensor (version 0) was never written; a view of a written base shares its counter.
            producer = maker or (self._writer(t, now) if now > 0 else None)
            entry = _Entry(weakref.ref(t), self._state(self._new_tid(), producer), now)
            self.entries[id(t)] = entry
        elif entry.version != now:  # written through another view, or inside an unrecorded call
            writer = self._writer(t, now)
            if writer is not None and writer != entry.state.producer:
                entry.state = self._state(self._new_tid(), writer)
            entry.version = now
        return entry

    def seen(self, t: torch.Tensor) -> bool:
        """Whether a recorded call read or returned `t` (the model's parameters: whether any op read them)."""
        entry = self.entries.get(id(t))
        return entry is not None and entry.ref() is t

    def producer(self, t: torch.Tensor) -> str | None:
        """Who made the current version of `t`."""
        return self.entry(t).state.producer

    def read(
        self, path: str, t: torch.Tensor, reader: Reader | None = None, call: str | None = None
    ) -> record.TensorMeta:
        """The metadata of `t` as `call`, reading argument `path`, sees it."""
        state = self.entry(t).state
        if reader is not None and state.site is not None:
            state = self._through_hand_backs(state, reader, path, t)
        if call is not None:
            self.read_states[(call, id(t))] = state
        return tensor_meta(path, t, state.tid, state.producer)

    def _through_hand_backs(self, state: State, reader: Reader, path: str, t: torch.Tensor) -> State:
        """Walk back over hand-backs the reader did not read through, to the state it did read."""
        given = self._given(id(t))
        while state.site is not None and state.parent is not None:
            if given is not None and state.seq <= given[1]:
                return given[0]  # handed back before the enclosing call began: it received this
            if reader.via(state.site, path, t):
                return state
            state = state.parent  # read under a name bound before that hand-back
        return state

    def made(self, path: str, t: torch.Tensor, call: str) -> record.TensorMeta:
        """`call` returned `t` (made by it, or inside it); the metadata keeps the inner producer."""
        if id(t) not in self.entries:  # the common case: a new tensor, made by this call
            entry = self.entry(t, call)
            return tensor_meta(path, t, entry.state.tid, None)
        entry = self.entry(t)
        before = entry.state
        if before.producer != call or before.site is not None:
            entry.state = self._state(before.tid, call)
        return tensor_meta(path, t, before.tid, before.producer)

    def handed_back(
        self, path: str, t: torch.Tensor, call: str, site: Site, read_as: record.TensorMeta
    ) -> record.TensorMeta:
        """`call`, which read input `t` as `read_as`, returned it unchanged: a new state for its readers."""
        entry = self.entry(t)
        inner = entry.state
        given = self.read_states.get((call, id(t))) or _find(inner, read_as.tid) or inner
        entry.state = self._state(self._new_tid(), call, site, given)
        return tensor_meta(path, t, entry.state.tid, inner.producer)

    def wrote(self, t: torch.Tensor, call: str) -> None:
        """`call` wrote `t` in place: a new version, read from `call` from now on (through any view)."""
        entry = self.entry(t)
        entry.state = self._state(self._new_tid(), call)
        base = _base(t)
        self.writes[id(base)] = (weakref.ref(base), call, entry.version)

    def done(self, call: str, objects: list[int]) -> None:
        """Forget what `call` read, once its results are recorded."""
        for key in objects:
            self.read_states.pop((call, key), None)


def _find(state: State | None, tid: str) -> State | None:
    """The state with tensor id `tid` in the chain of hand-backs from `state`."""
    while state is not None and state.tid != tid:
        state = state.parent
    return state


def snapshot(tensors: list[tuple[str, torch.Tensor]]) -> list[tuple[torch.Tensor, int]]:
    """Each input tensor with its version before a call, to find what the call wrote."""
    return [(t, version(t)) for _, t in tensors]


def written(before: list[tuple[torch.Tensor, int]]) -> dict[int, torch.Tensor]:
    """The inputs whose version moved during the call, by object id."""
    return {id(t): t for t, v in before if version(t) != v}
