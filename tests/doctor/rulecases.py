"""What the rule tests share: the doctor run once per model file, the silent corpus's entries for some
codes, and the `# expect: <code>` marker of the fixtures under `rules/`.

A fixture `rules/<area>/bad_*.py` marks the one line the doctor must report with a trailing
`# expect: <code>`; a `good_*.py` has no marker and must get no warning of the area's codes (notes are
allowed: they say "worth a look").
"""

from __future__ import annotations

import json
import re
import warnings
from functools import cache
from pathlib import Path

from archviz.app import doctor as doctoring
from archviz.app import trace_file
from archviz.kinds import Severity
from archviz.record import Finding

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules"
SILENT = HERE / "silent"
WRITTEN = sorted((HERE / "public" / "written").glob("*.py"))
MARK = re.compile(r"#\s*expect:\s*([a-z-]+)\s*$")
SERIOUS = (Severity.ERROR, Severity.WARNING)


@cache
def findings(path: Path) -> tuple[Finding, ...]:
    """Every finding of `archviz doctor` on a model file (experiments included), run once per file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return doctoring.examine(trace_file(str(path))).trace.findings


def silent(codes: set[str]) -> list[dict]:
    """The silent corpus's entries for these codes."""
    entries: list[dict] = json.loads((SILENT / "manifest.json").read_text(encoding="utf-8"))
    return [e for e in entries if e["code"] in codes]


def fixtures(area: str, kind: str) -> list[Path]:
    """`rules/<area>/<kind>_*.py`, kind `bad` or `good`."""
    return sorted((RULES / area).glob(f"{kind}_*.py"))


def expected(path: Path) -> tuple[int, str]:
    """The line a bad fixture marks and the code it expects there."""
    marks = [
        (n, m[1]) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if (m := MARK.search(line))
    ]
    assert len(marks) == 1, f"{path.name}: {len(marks)} markers"
    return marks[0]


def serious(path: Path, codes: set[str]) -> list[str]:
    """The warnings and errors of these codes on a file, as text."""
    return [
        f"{f.where} {f.severity} [{f.code}] {f.title}"
        for f in findings(path)
        if f.code in codes and f.severity in SERIOUS
    ]


def found_at(path: Path, line: int, code: str) -> Finding:
    """The finding of `code` at `line` of `path` (fails, listing what was found, when there is none)."""
    hits = [f for f in findings(path) if f.code == code and f.source is not None and f.source.line == line]
    seen = [f"{f.where} {f.severity} [{f.code}] {f.title}" for f in findings(path)]
    assert hits, (f"{path.name}:{line} [{code}]", seen)
    hit = hits[0]
    assert hit.seen and hit.why and hit.fix and hit.calls
    return hit
