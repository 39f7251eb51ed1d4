"""Find where the user's code made a call, by walking the Python stack past torch and archviz."""

from __future__ import annotations

import linecache
import os
import sysconfig
from types import CodeType, FrameType, TracebackType

import torch

from .. import record

# torch Python helpers drawn as one node, their inner ops grouped under them.
COMPOSITES = frozenset(
    {
        "pack_padded_sequence",
        "pad_packed_sequence",
        "pack_sequence",
        "pad_sequence",
        "unpack_sequence",
        "unpad_sequence",
    }
)
_RNN_UTILS = os.path.join("torch", "nn", "utils", "rnn.py")
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SourceFinder:
    """Locate the first user frame of a call; cached per code object and line."""

    def __init__(self, root_dir: str | None) -> None:
        self.root = os.path.abspath(root_dir) if root_dir else None
        # torch's folder, and archviz's whole package (not just capture/: the loader runs scripts too)
        self.skip = (os.path.dirname(os.path.abspath(torch.__file__)) + os.sep, _PACKAGE + os.sep)
        self.stdlib = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep
        self.cache: dict[tuple[CodeType, int], record.Source] = {}
        self.skipped: dict[str, bool] = {}

    def is_skipped(self, filename: str) -> bool:
        hit = self.skipped.get(filename)
        if hit is None:
            path = os.path.abspath(filename)
            in_stdlib = path.startswith(self.stdlib) and "site-packages" not in path
            hit = self.skipped[filename] = path.startswith(self.skip) or in_stdlib or filename.startswith("<frozen")
        return hit

    def find(self, frame: FrameType | None) -> tuple[record.Source | None, FrameType | None]:
        """Return the user's source location and the outermost grouped torch helper frame."""
        source, composite, _ = self.site(frame)
        return source, composite

    def site(self, frame: FrameType | None) -> tuple[record.Source | None, FrameType | None, FrameType | None]:
        """The user's source location, the outermost grouped torch helper frame, and the user's frame."""
        composite = None
        while frame is not None and frame.f_code.co_filename.startswith(self.skip[1]):
            frame = frame.f_back  # archviz's own hook frames
        while frame is not None:
            code = frame.f_code
            filename = code.co_filename
            if filename.startswith(self.skip[1]):
                break  # reached whoever called archviz: the call has no line in the user's code
            if not self.is_skipped(filename):
                return self._source(code, frame.f_lineno), composite, frame
            if code.co_name in COMPOSITES and filename.endswith(_RNN_UTILS):
                composite = frame
            frame = frame.f_back
        return None, composite, None

    def raised_at(self, tb: TracebackType | None) -> record.Source | None:
        """The deepest frame of a traceback that is the user's code: the line that raised."""
        found = None
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if not filename.startswith("<") and not self.is_skipped(filename):  # not generated code
                found = self._source(tb.tb_frame.f_code, tb.tb_lineno)
            tb = tb.tb_next
        return found

    def definition(self, code: CodeType) -> record.Source:
        """Where a function is defined (used for the root call, which no user line makes)."""
        return self._source(code, code.co_firstlineno)

    def _source(self, code: CodeType, line: int) -> record.Source:
        key = (code, line)
        src = self.cache.get(key)
        if src is None:
            filename = code.co_filename
            shown = os.path.basename(filename)
            if self.root and os.path.abspath(filename).startswith(self.root + os.sep):
                shown = os.path.relpath(os.path.abspath(filename), self.root)
            text = linecache.getline(filename, line).strip()
            src = record.Source(shown, line, code.co_qualname, text[:160])
            self.cache[key] = src
        return src
