"""Where the user's code made a call, for hand-backs: the reader's frame and exact position, and the
frames hand-backs were made in, held only while they run (see `tensors` for what they decide)."""

from __future__ import annotations

import inspect
import linecache
from dataclasses import dataclass
from types import FrameType

import torch

from . import aliases


class Running:
    """A frame hand-backs were made in, held only while it runs (`frame` is None once it returned).

    A returned frame keeps its locals, and so every tensor it held: holding it until the trace ends
    kept a BERT-base's activations alive (25 MB, the trace's whole memory growth). A returned frame is
    never a reader's again, so dropping it changes no answer: `is` against a running frame stays False.
    """

    __slots__ = ("frame", "gone")

    def __init__(self, frame: FrameType | None) -> None:
        self.frame = frame
        self.gone = False  # returned: matches no frame, not even a reader's missing one


RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


@dataclass(frozen=True)
class Site:
    """Where the user's code made a call: its frame (while it runs), line, the names its statement binds,
    and, when its position is known, the expression it runs there (`spot`) and the instruction's offset."""

    where: Running
    line: int
    names: frozenset[str]
    spot: aliases.Spot | None = None
    offset: int = -1

    def of(self, frame: FrameType | None) -> bool:
        """Whether the call was made in `frame` (a running frame, or None for none found)."""
        return not self.where.gone and self.where.frame is frame


class Reader:
    """Where a call read its inputs: the user's frame and line, and how the callee is named there.

    Made for every call, so it only holds references and the instruction's offset; the expression and
    the names its statement assigns are looked up when a hand-back needs them.

    Args:
        frame: the user's frame that made the call (None when none was found).
        callee: the module's attribute name (`drop`) or the op's name (`cat`, `add`).
        method: the op was called as a tensor method (`x.sigmoid()`).
        module: the callee is a module (called through a name, or a loop variable).
        direct: the frame's running instruction is this very call, not a call into torch code that made
            it (an `nn.Sequential` calling its layers).
    """

    __slots__ = ("callee", "direct", "frame", "lasti", "line", "method", "module")

    def __init__(
        self, frame: FrameType | None, callee: str, method: bool = False, module: bool = False, direct: bool = True
    ) -> None:
        self.frame, self.callee, self.method, self.module, self.direct = frame, callee, method, module, direct
        self.line = frame.f_lineno if frame is not None else 0
        self.lasti = frame.f_lasti if frame is not None else -1

    @property
    def code(self) -> str:
        """The source line of the call."""
        return linecache.getline(self.frame.f_code.co_filename, self.line) if self.frame is not None else ""

    @property
    def spot(self) -> aliases.Spot | None:
        """The expression the frame is running, from its exact position (None when unknown)."""
        return aliases.spot(self.frame.f_code, self.lasti) if self.frame is not None else None

    def site(self, where: Running) -> Site:
        """The frame (held by `where`), the line and the names its statement binds; the expression when known."""
        spot = self.spot
        if spot is None:
            return Site(where, self.line, aliases.targets(self.code))
        return Site(where, self.line, spot.names, spot, self.lasti)

    def running(self, handed: Site, after: int) -> bool:
        """Whether `handed` is in the statement this reader is running, earlier than offset `after`."""
        spot, made = self.spot, handed.spot
        return spot is not None and made is not None and spot.stmt is made.stmt and handed.offset < after

    def via(self, handed: Site, path: str, obj: torch.Tensor, running: bool = False) -> bool:
        """True when argument `path` came out of the call that handed `obj` back at `handed`; `running`:
        that call ran in the statement the reader is running, whose names are not bound yet."""
        frame = self.frame
        if frame is None or not handed.of(frame) or not self.direct:
            # Passed across frames, or passed on by torch code (`nn.Sequential`) rather than read by the
            # user's expression: the latest binding is the best evidence there is.
            return True
        spot, scalar = self.spot, aliases.scalar_in(frame)
        if spot is not None:
            made_at = handed.spot.node if handed.spot is not None else None
            found = aliases.operand(
                spot, self.callee, path, method=self.method, module=self.module, scalar=scalar, made=made_at
            )
            if found is not None:
                names, made = found
                # `x = x + f(norm(x))`, norm an Identity: x still holds what it held before the statement.
                bound = handed.spot.early if running and handed.spot is not None else handed.names
                return made or bool(names & bound) or not names
        # No position, or not this call's: the first likely call on the line.
        found = aliases.argument(self.code, self.callee, path, method=self.method, module=self.module, scalar=scalar)
        if found is not None:
            names, made = found
            return made or bool(names & handed.names) or not names
        if self.line == handed.line:
            return True  # a nested call on the hand-back's own line: `fc2(drop(h))`
        holders = {n for n, v in frame.f_locals.items() if v is obj}
        return not holders or bool(holders & handed.names)
