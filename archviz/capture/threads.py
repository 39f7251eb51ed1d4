"""Work a forward pass hands to other threads: seen, counted and named in a note, never recorded.

The TorchFunctionMode that records ops is thread-local, so ops in another thread are invisible to
it; module hooks are not, and the recorder ignores hook calls from other threads (they would nest
into whatever the tracing thread has open). Recording them would need one record per thread and a
way to order their events, which the record does not model; an honest note is the promise instead.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, Self

_Profile = Callable[..., object]


class Threads:
    """The recording thread, and what other threads did while it recorded (counted, not recorded)."""

    def __init__(self) -> None:
        self.ident = threading.get_ident()
        self.started: list[int] = []  # threads started during the pass (see ThreadWatch)
        self.calls: dict[int, int] = {}  # other thread -> module calls it made
        self._lock = threading.Lock()

    def elsewhere(self, count: bool = False) -> bool:
        """True in any thread but the recording one; with `count`, count a module call there."""
        ident = threading.get_ident()
        if ident == self.ident:
            return False
        if count:
            with self._lock:
                self.calls[ident] = self.calls.get(ident, 0) + 1
        return True

    def note(self) -> str | None:
        """What the trace should say about other threads, if any ran work."""
        return note(self.started, self.calls)


class ThreadWatch:
    """Note the threads started through `threading` while this context is open, in `started`.

    `threading.setprofile` hands a function to every thread started from now on; it runs once, at the
    new thread's first event, notes the thread and hands over to the profiler that was set before (if
    any). Threads the process starts for other reasons in that window are counted too.
    """

    def __init__(self, started: list[int]) -> None:
        self.started = started  # list.append is atomic: new threads report concurrently
        self._previous: _Profile | None = None

    def __enter__(self) -> Self:
        self._previous = threading.getprofile()
        threading.setprofile(self._first_event)
        return self

    def __exit__(self, *exc: object) -> None:
        threading.setprofile(self._previous)

    def _first_event(self, frame: FrameType, event: str, arg: Any) -> Any:
        self.started.append(threading.get_ident())
        sys.setprofile(self._previous)
        return self._previous(frame, event, arg) if self._previous is not None else None


def note(started: Iterable[int], hooked: dict[int, int]) -> str | None:
    """The trace's note about other threads: how many ran work and how many module calls they made."""
    started = list(started)
    threads = len(started) + len(set(hooked) - set(started))  # idents are reused: count starts
    if not threads:
        return None
    calls = sum(hooked.values())
    where = "thread" if threads == 1 else "threads"
    seen = f" ({calls} module call{'s' if calls != 1 else ''})" if calls else ""
    return f"forward ran work in {threads} other {where}{seen}; ops there are not recorded"
