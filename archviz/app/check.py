"""`archviz render --check`: would rendering change the files already in the output folder?

The files are rendered into a temporary folder outside the output folder and compared byte for byte
with those of the same names in it; nothing is written into the output folder. Only the files the
chosen formats produce are compared (a stale extra file in the folder is not looked at).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field

from ..record import Trace
from .pipeline import Dims, Options, Stage, write

# cairo writes the time of rendering into every PDF (and ignores SOURCE_DATE_EPOCH before cairo 1.17):
# two renders of one diagram differ only there, so that field is left out of the comparison.
_PDF_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:[^)]*\)")


@dataclass
class Checked:
    """What a check found: output-folder paths that would change or be created, and those up to date.

    Args:
        changed: files in the output folder whose bytes differ from a fresh render.
        missing: files a render would write that the output folder does not have.
        same: files that are byte-identical (PDFs: apart from their creation date).
        notes: what the render would have told the user (auto-collapse, …).
        trace: the record that was rendered (with gates), to report a failed forward pass.
    """

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trace: Trace | None = None

    @property
    def up_to_date(self) -> bool:
        """True when every file would be written exactly as it is."""
        return not self.changed and not self.missing


def check(
    trace: Trace, stem: str, out: str, options: Options, stage: Stage | None = None, dims: Dims | None = None
) -> Checked:
    """Render `trace` as `write` would into `out`, but into a temporary folder, and compare with `out`.

    Args:
        trace, stem, options, stage: as for `pipeline.write`.
        out: the output folder holding the files to check; it is only read.
    """
    with tempfile.TemporaryDirectory(prefix="archviz-check-") as scratch:
        written = (
            write(trace, stem, scratch, options, stage, dims)
            if stage
            else write(trace, stem, scratch, options, dims=dims)
        )
        result = Checked(notes=written.notes, trace=written.trace)
        for fresh in dict.fromkeys(written.paths):
            name = os.path.relpath(fresh, scratch)
            existing = os.path.join(out, name)
            if not os.path.isfile(existing):
                result.missing.append(existing)
            elif _comparable(existing) == _comparable(fresh):
                result.same.append(existing)
            else:
                result.changed.append(existing)
    return result


def _comparable(path: str) -> bytes:
    """The file's bytes, without the creation date of a PDF."""
    with open(path, "rb") as fh:
        data = fh.read()
    return _PDF_DATES.sub(rb"/\1 ()", data) if path.endswith(".pdf") else data
