"""A spinner on stderr for work that takes more than about a second (only on a terminal)."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Progress:
    """Show `archviz: <stage> … 1.4 s` after `delay` seconds of one stage, and clear it when done.

    Args:
        enabled: False for `--quiet`; the spinner also stays off when the stream is not a terminal.
        stream: where to draw (stderr).
        delay: seconds before anything is shown, so quick runs print nothing.
    """

    def __init__(self, enabled: bool = True, stream: TextIO | None = None, delay: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.delay = delay
        self.shown = False

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Run a stage; draw the spinner from a daemon thread while it lasts."""
        if not self.enabled:
            yield
            return
        done = threading.Event()
        start = time.monotonic()

        def spin() -> None:
            if done.wait(self.delay):
                return
            i = 0
            while not done.wait(0.1):
                self.stream.write(f"\r{_FRAMES[i % len(_FRAMES)]} archviz: {name} … {time.monotonic() - start:.1f} s ")
                self.stream.flush()
                self.shown = True
                i += 1

        thread = threading.Thread(target=spin, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            if self.shown:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self.shown = False
