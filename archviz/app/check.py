"""`archviz render --check`: would rendering change the files already in the output folder?

The files are made in memory (the same `app.run` as a render, into a `MemorySink`) and compared byte for
byte with those of the same names in the output folder; nothing is written there. Only the files the
chosen formats produce are compared (a stale extra file in the folder is not looked at).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class Checked:
    """What a check found: output-folder paths that would change or be created, and those up to date.

    Args:
        changed: files in the output folder whose bytes differ from a fresh render.
        missing: files a render would write that the output folder does not have.
        same: files that are byte-identical.
    """

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """True when every file would be written exactly as it is."""
        return not self.changed and not self.missing


def check(files: dict[str, bytes], out: str) -> Checked:
    """Compare freshly made `files` (name -> bytes, from a `MemorySink`) with those of the same names in
    `out`, which is only read."""
    result = Checked()
    for name, fresh in files.items():
        existing = os.path.join(out, name)
        if not os.path.isfile(existing):
            result.missing.append(existing)
        elif _read(existing) == fresh:
            result.same.append(existing)
        else:
            result.changed.append(existing)
    return result


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
