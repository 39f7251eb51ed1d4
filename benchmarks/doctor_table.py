"""`python benchmarks/doctor_table.py`: recall and precision of `archviz doctor`, per finding code, on the
repository's doctor corpora; prints a Markdown table.

The files (each run once, in-process, with its experiments: `archviz.app.doctor.examine`):

- `tests/doctor/silent`: realistic silent bugs from public bug reports (`manifest.json`: file, code, line)
  and each one's correct twin;
- `tests/doctor/rules/<area>`: `bad_*.py` marking the expected line with `# expect: <code>`, and
  `good_*.py` correct variants;
- `tests/doctor/corpus`: `manifest.json` lists bad files (code, line) and good files.

Counted per code, over warnings and errors only (notes say "worth a look" and are never an alarm):

- expected: bugs of that code; at line: a finding of the code at the expected line; elsewhere: the code
  found in that file, but not at its line; missed: neither;
- false alarms: findings of the code on a correct file (a twin or a good file).

recall = at line / expected; precision = at line / (at line + false alarms). A finding on a buggy file at
another line or of another code is neither (it is listed under the table, with the false alarms and the
misses). The output depends only on the files: no time, no path outside the repository.

Options: `--only silent,rules,corpus` to run some corpora; `--out PATH` to write the table there too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCTOR = ROOT / "tests" / "doctor"
MARK = re.compile(r"#\s*expect:\s*([a-z-]+)\s*$")
CORPORA = ("silent", "rules", "corpus")


@dataclass(frozen=True)
class Case:
    """One file: its corpus, its path, and the bug it holds (code, line), or None for a correct file."""

    corpus: str
    path: Path
    code: str | None = None
    line: int | None = None


@dataclass
class Row:
    """The counts of one finding code."""

    expected: int = 0
    at_line: int = 0
    elsewhere: int = 0
    missed: int = 0
    false_alarms: int = 0
    notes: list[str] = field(default_factory=list)


def silent_cases() -> list[Case]:
    root = DOCTOR / "silent"
    entries = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for e in entries:
        out.append(Case("silent", root / e["file"], e["code"], e["line"]))
        out.append(Case("silent", root / e["twin"]))
    return out


def rule_cases() -> list[Case]:
    out = []
    for path in sorted((DOCTOR / "rules").glob("*/*.py")):
        if path.name.startswith("bad_"):
            lines = path.read_text(encoding="utf-8").splitlines()
            marks = [(n, m[1]) for n, text in enumerate(lines, 1) if (m := MARK.search(text))]
            if len(marks) == 1:
                out.append(Case("rules", path, marks[0][1], marks[0][0]))
        elif path.name.startswith("good_"):
            out.append(Case("rules", path))
    return out


def corpus_cases() -> list[Case]:
    root = DOCTOR / "corpus"
    entries = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return [Case("corpus", root / e["file"], e.get("code"), e.get("line")) for e in entries]


def serious(path: Path) -> list[tuple[str, int | None, str]]:
    """(code, line, title) of every warning and error of `archviz doctor` on one file."""
    from archviz.app import doctor as doctoring
    from archviz.app import trace_file
    from archviz.kinds import Severity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            examined = doctoring.examine(trace_file(str(path)))
    return [
        (str(f.code), f.source.line if f.source else None, f.title)
        for f in examined.trace.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]


def tally(cases: Iterable[Case]) -> tuple[dict[str, Row], dict[str, list[int]], list[str]]:
    """Per-code rows, per-corpus [bugs, found at line, correct files, correct files with an alarm], and
    the other findings on buggy files."""
    rows: dict[str, Row] = {}
    corpora: dict[str, list[int]] = {}
    others: list[str] = []
    for case in cases:
        found = serious(case.path)
        name = case.path.relative_to(DOCTOR).as_posix()
        counts = corpora.setdefault(case.corpus, [0, 0, 0, 0])
        if case.code is None:
            counts[2] += 1
            counts[3] += bool(found)
            for code, line, title in found:
                row = rows.setdefault(code, Row())
                row.false_alarms += 1
                row.notes.append(f"false alarm: {name}:{line or '?'} {title}")
            continue
        row = rows.setdefault(case.code, Row())
        row.expected += 1
        counts[0] += 1
        hit = any(code == case.code and line == case.line for code, line, _ in found)
        near = [line for code, line, _ in found if code == case.code and line != case.line]
        if hit:
            row.at_line += 1
            counts[1] += 1
        elif near:
            row.elsewhere += 1
            row.notes.append(f"elsewhere: {name}:{case.line} found at line {', '.join(map(str, near))}")
        else:
            row.missed += 1
            row.notes.append(f"missed: {name}:{case.line}")
        for code, line, title in found:
            if (code, line) != (case.code, case.line) and not (code == case.code and line in near):
                others.append(f"{name}: {code} at line {line} ({title})")
    return rows, corpora, others


def ratio(num: int, den: int) -> str:
    return f"{num / den:.0%}" if den else "—"


def table(rows: dict[str, Row], corpora: dict[str, list[int]], others: list[str]) -> str:
    lines = [
        "| code | expected | at line | elsewhere | missed | false alarms | recall | precision |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = Row()
    for code in sorted(rows):
        r = rows[code]
        lines.append(
            f"| {code} | {r.expected} | {r.at_line} | {r.elsewhere} | {r.missed} | {r.false_alarms} | "
            f"{ratio(r.at_line, r.expected)} | {ratio(r.at_line, r.at_line + r.false_alarms)} |"
        )
        for k in ("expected", "at_line", "elsewhere", "missed", "false_alarms"):
            setattr(total, k, getattr(total, k) + getattr(r, k))
    lines.append(
        f"| **total** | {total.expected} | {total.at_line} | {total.elsewhere} | {total.missed} | "
        f"{total.false_alarms} | {ratio(total.at_line, total.expected)} | "
        f"{ratio(total.at_line, total.at_line + total.false_alarms)} |"
    )
    lines += [
        "",
        "| corpus | bugs | found at line | correct files | correct files with a warning |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in CORPORA:
        if name in corpora:
            bugs, hit, good, alarmed = corpora[name]
            lines.append(f"| {name} | {bugs} | {hit} | {good} | {alarmed} |")
    details = [note for code in sorted(rows) for note in rows[code].notes]
    if details:
        lines += ["", "Misses, findings elsewhere and false alarms:", ""] + [f"- {d}" for d in details]
    if others:
        lines += ["", "Other warnings on buggy files (a second finding of the same bug, or a second bug):", ""]
        lines += [f"- {o}" for o in sorted(others)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(CORPORA), help="corpora to run: silent,rules,corpus")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    opts = parser.parse_args(argv)
    chosen = [c.strip() for c in opts.only.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(CORPORA))
    if unknown:
        parser.error(f"--only: unknown corpus {', '.join(unknown)} (choose from {', '.join(CORPORA)})")
    makers = {"silent": silent_cases, "rules": rule_cases, "corpus": corpus_cases}
    cases = [case for name in CORPORA if name in chosen for case in makers[name]()]
    sys.path.insert(0, str(ROOT))
    text = table(*tally(cases))
    sys.stdout.write(text)
    if opts.out:
        Path(opts.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
