"""Which call made each tensor a reader sees: object identity, version counters, and hand-backs.

A tensor's producer is the call that last made or wrote it. Two things make that more than a
lookup by object:
- **Writes in place** (`buf[i] = v`, `x.add_(y)`, `masked_fill_`, `copy_`, an in-place ReLU) change a
  tensor without making a new object. PyTorch counts them in the tensor's version counter, which a
  view shares with its base: a call after which an input's version moved wrote it, and readers after
  the write read a new version (a new tensor id) from the writer — through the base or any view.
- **Hand-backs**: eval-mode Dropout, Identity or a no-op `.contiguous()` return the object they were
  given, unchanged. Readers that got it from that call read from the call; readers that kept the
  object under an earlier name read it as it was before. `Reader.via` decides from the expression the
  reader's frame is running (its exact position), or from the reader's source line.

Tensor ids follow execution order (`t-0012`); an entry dies with its tensor.
"""

from __future__ import annotations

import dataclasses
import sys
import weakref
from types import FrameType
from typing import NamedTuple

import torch
from torch.nn.parameter import is_lazy

from .. import record
from .readers import RESUMABLE, Reader, Running, Site
from .walk import tensor_meta

__all__ = ["Reader", "Running", "Site", "State", "TensorTable", "snapshot", "version", "written"]


def version(t: torch.Tensor) -> int:
    """The tensor's version counter (-1 for inference tensors, which keep none)."""
    try:
        return t._version
    except RuntimeError:
        return -1


def _base(t: torch.Tensor) -> torch.Tensor:
    return t if t._base is None else t._base


Memory = tuple[int, tuple[int, ...], tuple[int, ...], torch.dtype]


def _memory(t: torch.Tensor) -> Memory | None:
    """Where a dense tensor's elements are (address, shape, strides, dtype); None when that says nothing."""
    if is_lazy(t):
        return None  # a lazy layer's weight before its first call: no elements yet
    try:
        if t.layout != torch.strided or t.is_meta or t.numel() == 0:
            return None
        return t.data_ptr(), tuple(t.shape), t.stride(), t.dtype
    except (RuntimeError, NotImplementedError, ValueError):  # a tensor subclass or storage-less tensor
        return None


class State(NamedTuple):
    """One state of a tensor object: its id and producer, and, for a hand-back, the call that handed it
    back, where, and the state that call read (`parent`), which readers from before the call still see.
    (A NamedTuple: one is made for every tensor a call returns.)"""

    tid: str
    producer: str | None
    seq: int = 0  # when the state began, on the table's clock
    site: Site | None = None  # set when the state was made by a hand-back
    parent: State | None = None


class _Entry:
    """A live tensor object: its current state, and the hand-backs since it was last made or written
    (`handed`, oldest first), which readers choose from by the name they read it through."""

    __slots__ = ("handed", "ref", "state", "version")

    def __init__(self, ref: weakref.ref[torch.Tensor], state: State, version: int) -> None:
        self.ref, self.state, self.version = ref, state, version
        self.handed: tuple[State, ...] = ()

    def set(self, state: State) -> None:
        self.state = state
        if state.site is None:
            self.handed = ()
            return
        # The same site again rebinds the same names: only its last run can still be read, and the one
        # before by readers later in the statement now running (`h, b = ident(h), fc(h)` in a loop).
        older = [h for h in self.handed if h.site == state.site][:-1]
        self.handed = (*(h for h in self.handed if not any(h is o for o in older)), state)


class TensorTable:
    """Tensor id, producer and version of every tensor object seen during one trace."""

    def __init__(self) -> None:
        self.entries: dict[int, _Entry] = {}
        self.writes: dict[int, tuple[weakref.ref[torch.Tensor], str, int]] = {}  # base -> (ref, writer, version)
        self.read_states: dict[tuple[str, int], State] = {}  # (call id, object id) -> the state that call read
        # the tensors recorded calls made, by where their elements are: a tensor first seen with the same
        # elements was made by a call torch does not dispatch (`torch.autograd.Variable(t)`): an alias
        # (the storage object lives as long as the elements do, even when the tensor that was made is gone)
        self.memory: dict[Memory, tuple[weakref.ref[torch.UntypedStorage], State]] = {}
        self.open: list[tuple[str, int]] = []  # module calls under way, with the clock when they began
        self.running: dict[int, Running] = {}  # frames hand-backs were made in, by id, until they return
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
        if self.running:
            self._let_go()

    def _where(self, frame: FrameType | None) -> Running:
        """The holder of a running frame (one per frame: its id is its own while it runs)."""
        if frame is None:
            return Running(None)
        held = self.running.get(id(frame))
        if held is None:
            held = self.running[id(frame)] = Running(frame)
        return held

    def _let_go(self) -> None:
        """Drop the frames that returned (a module call just ended: the frames of its code did). A paused
        generator's frame is not on the stack but may run again: it is kept."""
        stack = set()
        f: FrameType | None = sys._getframe(1)
        while f is not None:
            stack.add(id(f))
            f = f.f_back
        for key, held in list(self.running.items()):
            frame = held.frame
            if key not in stack and frame is not None and not frame.f_code.co_flags & RESUMABLE:
                held.frame, held.gone = None, True
                del self.running[key]

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
            same = self._alias(t) if producer is None else None
            entry = _Entry(weakref.ref(t), same or self._state(self._new_tid(), producer), now)
            self.entries[id(t)] = entry
            if producer is not None:
                where = _memory(t)
                if where is not None:
                    self.memory[where] = (weakref.ref(t.untyped_storage()), entry.state)
        elif entry.version != now:  # written through another view, or inside an unrecorded call
            writer = self._writer(t, now)
            if writer is not None and writer != entry.state.producer:
                entry.set(self._state(self._new_tid(), writer))
            entry.version = now
        return entry

    def _alias(self, t: torch.Tensor) -> State | None:
        """The state in which a recorded call made a tensor with the very elements of `t`, if any."""
        where = _memory(t)
        hit = self.memory.get(where) if where is not None else None
        if hit is None or hit[0]() is not t.untyped_storage():
            return None
        return hit[1]

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
        entry = self.entry(t)
        state = entry.state
        if reader is not None and state.site is not None:
            state = self._through_hand_backs(entry, reader, path, t)
        if call is not None:
            self.read_states[(call, id(t))] = state
        return tensor_meta(path, t, state.tid, state.producer)

    def _through_hand_backs(self, entry: _Entry, reader: Reader, path: str, t: torch.Tensor) -> State:
        """The state the reader read: the latest hand-back it read through, else one made in its own frame
        whose names it read (`e = ident(h)` and `g = dropout(h)` both hand back h; `... + e` reads the
        first), else what the latest hand-back's call read, and so on back."""
        given = self._given(id(t))
        latest = entry.state
        after = reader.lasti  # hand-backs of the statement running now come last, at falling offsets
        for state in reversed(entry.handed):
            if given is not None and state.seq <= given[1]:
                return given[0]  # handed back before the enclosing call began: it received this
            site = state.site
            if site is None or (state is not latest and not site.of(reader.frame)):
                continue
            running = after >= 0 and site.of(reader.frame) and reader.running(site, after)
            after = site.offset if running else -1
            if reader.via(site, path, t, running):
                return state
        state = latest.parent or latest  # under a name bound before: each frame's own hand-backs are refused
        while state.site is not None and state.parent is not None and state.site.of(reader.frame):
            state = state.parent
        if given is not None and state.site is not None and state.seq <= given[1]:
            return given[0]
        return state

    def made(self, path: str, t: torch.Tensor, call: str) -> record.TensorMeta:
        """`call` returned `t` (made by it, or inside it); the metadata keeps the inner producer."""
        known = self.entries.get(id(t))
        if known is None or known.ref() is not t:  # the common case: a new tensor (its id may be a dead one's)
            entry = self.entry(t, call)
            return tensor_meta(path, t, entry.state.tid, None)
        entry = self.entry(t)
        before = entry.state
        if before.producer != call or before.site is not None:
            entry.set(self._state(before.tid, call))
        return tensor_meta(path, t, before.tid, before.producer)

    def handed_back(
        self, path: str, t: torch.Tensor, call: str, reader: Reader, read_as: record.TensorMeta
    ) -> record.TensorMeta:
        """`call`, which `reader` made and which read input `t` as `read_as`, returned it unchanged: a new
        state for its readers."""
        site = reader.site(self._where(reader.frame))
        entry = self.entry(t)
        inner = entry.state
        given = self.read_states.get((call, id(t))) or _find(entry, read_as.tid) or inner
        entry.set(self._state(self._new_tid(), call, site, given))
        # `given`: readers looking through the call find what made it (a model input) by its id
        return dataclasses.replace(tensor_meta(path, t, entry.state.tid, inner.producer), given=inner.tid)

    def wrote(self, t: torch.Tensor, call: str) -> None:
        """`call` wrote `t` in place: a new version, read from `call` from now on (through any view)."""
        entry = self.entry(t)
        entry.set(self._state(self._new_tid(), call))
        base = _base(t)
        self.writes[id(base)] = (weakref.ref(base), call, entry.version)

    def done(self, call: str, objects: list[int]) -> None:
        """Forget what `call` read, once its results are recorded."""
        for key in objects:
            self.read_states.pop((call, key), None)


def _find(entry: _Entry, tid: str) -> State | None:
    """The state with tensor id `tid` among the entry's hand-backs and what they read."""
    for handed in reversed(entry.handed):
        state: State | None = handed
        while state is not None and state.tid != tid:
            state = state.parent
        if state is not None:
            return state
    return entry.state if entry.state.tid == tid else None


def snapshot(tensors: list[tuple[str, torch.Tensor]]) -> list[tuple[torch.Tensor, int]]:
    """Each input tensor with its version before a call, to find what the call wrote."""
    return [(t, version(t)) for _, t in tensors]


def written(before: list[tuple[torch.Tensor, int]]) -> dict[int, torch.Tensor]:
    """The inputs whose version moved during the call, by object id."""
    return {id(t): t for t, v in before if version(t) != v}
