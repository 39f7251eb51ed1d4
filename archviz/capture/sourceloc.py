"""Find where the user's code made a call, by walking the Python stack past torch and archviz."""

from __future__ import annotations

import dataclasses
import itertools
import linecache
import os
import sysconfig
from types import CodeType, FrameType, TracebackType

import torch

from .. import record
from ..kinds import COMPOSITE_HELPERS

# torch Python helpers drawn as one node, their inner ops grouped under them.
_RNN_UTILS = os.path.join("torch", "nn", "utils", "rnn.py")
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SourceFinder:
    """Locate the first user frame of a call and its site; cached per code object and instruction."""

    def __init__(self, root_dir: str | None) -> None:
        self.root = os.path.abspath(root_dir) if root_dir else None
        # torch's folder, and archviz's whole package (not just capture/: the loader runs scripts too)
        self.skip = (os.path.dirname(os.path.abspath(torch.__file__)) + os.sep, _PACKAGE + os.sep)
        self.stdlib = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep
        self.cache: dict[tuple[CodeType, int], record.Source] = {}
        self.sites: dict[tuple[int, ...], record.Source] = {}  # per chain of (id(code), offset)
        self.codes: list[CodeType] = []  # the code objects `sites` names by id, kept alive
        self.spans: dict[tuple[CodeType, int], str] = {}  # `16:8-41` per instruction
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
                return self._at(frame), composite, frame
            if code.co_name in COMPOSITE_HELPERS and filename.endswith(_RNN_UTILS):
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

    def _at(self, frame: FrameType) -> record.Source:
        """The source of the user's frame, with its site: the instruction running in it and in each user
        frame that called it, up to the first frame that is not the user's (the `nn.Module.__call__` of the
        enclosing module, or archviz). A helper called from two lines gets two sites; called in a loop, one.
        """
        # Keyed by code object ids (kept alive in `codes`, so never reused): hashing a code object is slow.
        chain: list[int] = []
        at: FrameType | None = frame
        skipped = self.skipped
        while at is not None:
            code = at.f_code
            filename = code.co_filename
            hit = skipped.get(filename)
            if hit if hit is not None else self.is_skipped(filename):
                break
            chain.append(id(code))
            chain.append(at.f_lasti)
            at = at.f_back
        key = tuple(chain)
        src = self.sites.get(key)
        if src is None:
            src = self.sites[key] = self._with_site(frame)
        return src

    def _with_site(self, frame: FrameType) -> record.Source:
        """The source of the user's `frame` with its site spelt out (`_at` caches it)."""
        chain: list[tuple[CodeType, int]] = []
        at: FrameType | None = frame
        while at is not None and not self.is_skipped(at.f_code.co_filename):
            self.codes.append(at.f_code)
            # A function already in the chain called itself: each depth of a recursion runs the same code
            # again, so its recursive calls are left out and every depth has the first one's site.
            if not any(code is at.f_code for code, _ in chain):
                chain.append((at.f_code, at.f_lasti))
            at = at.f_back
        here = frame.f_code.co_filename
        site = " > ".join(
            (f"{self._shown(code.co_filename)}:" if code.co_filename != here else "") + self._span(code, lasti)
            for code, lasti in reversed(chain)
        )
        return dataclasses.replace(self._source(frame.f_code, frame.f_lineno), site=site)

    def _span(self, code: CodeType, lasti: int) -> str:
        """`line:col-end_col` (or `line:col-end_line:end_col`) of the instruction at byte offset `lasti`."""
        key = (code, lasti)
        text = self.spans.get(key)
        if text is None:
            # one entry per 2-byte code unit; not kept per code object (a whole list each: 0.7 MB on HF BERT)
            at = next(itertools.islice(code.co_positions(), lasti // 2, None), None) if lasti >= 0 else None
            line, end_line, col, end_col = at if at is not None else (None,) * 4
            if line is None or col is None:  # no columns (`-X no_debug_ranges`): the offset tells instructions apart
                text = f"{line if line is not None else code.co_firstlineno}@{lasti}"
            else:
                text = f"{line}:{col}-" + (f"{end_col}" if end_line == line else f"{end_line}:{end_col}")
            self.spans[key] = text
        return text

    def _shown(self, filename: str) -> str:
        """A file as the record names it: relative to the model's folder, else its base name."""
        if self.root and os.path.abspath(filename).startswith(self.root + os.sep):
            return os.path.relpath(os.path.abspath(filename), self.root)
        return os.path.basename(filename)

    def _source(self, code: CodeType, line: int) -> record.Source:
        key = (code, line)
        src = self.cache.get(key)
        if src is None:
            text = linecache.getline(code.co_filename, line).strip()
            src = record.Source(self._shown(code.co_filename), line, code.co_qualname, text[:160])
            self.cache[key] = src
        return src
