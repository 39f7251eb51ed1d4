"""What `archviz doctor` prints: its findings as text (full or one line each), as a JSON document and as
SARIF 2.1.0 for code scanning — all made from one `Report`, whose findings `--select`/`--ignore` and the
`# archviz: ignore[code]` markers have chosen once (`analysis.doctor.suppress.choose`).

Everything here is deterministic: the doctor's order, no clock, and paths relative to the model's folder
(SARIF's to the current folder when the model lies under it, as code scanning resolves them from the
repository's root).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from ..analysis.axes import Axes
from ..analysis.doctor.suppress import CODE_TEXT, Chosen, choose, rule_names
from ..analysis.provenance import Provenance
from ..errors import LoadError, TraceError, UsageError
from ..kinds import FindingCode, Severity
from ..record import Finding, Trace, named_path
from ..version import __version__
from .options import LoadOptions

SCHEMA = 1  # of the JSON document; raised when a field changes meaning or goes away
FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


class Examined(Protocol):
    """What the doctor learned (`app.doctor.Examined`)."""

    trace: Trace
    provenance: Provenance | None
    axes: Axes | None
    notes: list[str]


class Ran(Protocol):
    """What `app.run` made (`app.Result`), as the doctor's report reads it."""

    @property
    def trace(self) -> Trace: ...
    @property
    def examined(self) -> Examined | None: ...
    @property
    def doctor_failed(self) -> str | None: ...
    @property
    def path(self) -> str: ...


class NotLoaded(LoadError):
    """`archviz doctor`: the model file could not be run, or gave no model or no inputs (exit status 3, so
    that CI tells a model it could not check from one with findings)."""

    exit_code = 3


@dataclass(frozen=True)
class Choice:
    """What `archviz doctor` is asked to show: `--select`, `--ignore`, `--format` and `--concise`."""

    select: frozenset[FindingCode] = field(default_factory=frozenset)
    ignore: frozenset[FindingCode] = field(default_factory=frozenset)
    fmt: str = "text"
    concise: bool = False

    @classmethod
    def parse(
        cls, select: Iterable[str] = (), ignore: Iterable[str] = (), fmt: str = "text", concise: bool = False
    ) -> Choice:
        """Comma lists of finding codes; an unknown code is a usage mistake that names the known ones."""
        if fmt not in FORMATS:
            raise UsageError(f"--format {fmt}: give one of {', '.join(FORMATS)}.")
        if concise and fmt != "text":
            raise UsageError(f"--concise is a layout of the text format, not of --format {fmt}.")
        return cls(parse_codes(select, "--select"), parse_codes(ignore, "--ignore"), fmt, concise)


@dataclass(frozen=True)
class Report:
    """The doctor's result as reported: the record, what the experiments learned, and the chosen findings.

    Args:
        trace: the record (paths relative to the model's folder).
        provenance: where each size comes from, when the experiments ran.
        axes: the names of the input axes, when the experiments ran.
        notes: what the experiments could not do.
        marks: what the `# archviz: ignore` markers suppressed, and markers naming no code.
        chosen: the findings to report and those left out.
        rules: the names of the rules the doctor ran.
        choice: what was asked for (`--select`, `--ignore`, the format).
        path: the model file (to read the full lines markers may sit on, and for SARIF's paths).
    """

    trace: Trace
    provenance: Provenance | None
    axes: Axes | None
    notes: tuple[str, ...]
    marks: tuple[str, ...]
    chosen: Chosen
    rules: tuple[str, ...]
    choice: Choice = Choice()
    path: str = ""

    @property
    def kept(self) -> tuple[Finding, ...]:
        return self.chosen.kept

    @property
    def said(self) -> tuple[str, ...]:
        """Every note, the experiments' first."""
        return self.notes + self.marks

    @property
    def exit_status(self) -> int:
        """1 when a reported finding is a warning or an error, else 0."""
        return int(any(f.severity in (Severity.ERROR, Severity.WARNING) for f in self.kept))


def parse_codes(values: Iterable[str], option: str) -> frozenset[FindingCode]:
    """`("dead-param,batch-time", "shape-clash")` -> those codes."""
    words = [w.strip().lower() for v in values for w in v.split(",") if w.strip()]
    wrong = [w for w in words if w not in {c.value for c in FindingCode}]
    if wrong:
        known = ", ".join(c.value for c in FindingCode)
        raise UsageError(f"{option} {','.join(wrong)}: no such finding code. The codes are: {known}.")
    return frozenset(FindingCode(w) for w in words)


@contextmanager
def loading(load: LoadOptions) -> Iterator[None]:
    """Turn a model file that cannot be loaded into `NotLoaded`; an error that names a loading option the
    user gave (`--input 3xq`, `--model Nope`, `--device tpu`) stays the usage mistake it is."""
    try:
        yield
    except LoadError as exc:
        given = [
            o for o, value in (("--input", load.inputs), ("--model", load.model), ("--device", load.device)) if value
        ]
        if isinstance(exc, UsageError) and any(option in str(exc) for option in given):
            raise
        raise NotLoaded(str(exc)) from exc


def of_run(result: Ran, choice: Choice) -> Report:
    """`archviz doctor`'s report of one run; a TraceError when the doctor itself could not check the model."""
    if result.examined is None:
        raise TraceError(result.doctor_failed or "the doctor could not check this model")
    return report(result.examined, trace=result.trace, path=result.path, choice=choice)


def report(examined: Examined, *, trace: Trace | None = None, path: str = "", choice: Choice = Choice()) -> Report:
    """The doctor's result with `--select`/`--ignore` and the markers applied (`trace`: the record as
    published, when it differs from the examined one only in its paths)."""
    trace = trace or examined.trace
    chosen = choose(trace.findings, choice.select, choice.ignore, _full_lines(trace.findings, path))
    n = len(chosen.suppressed)
    marks = [f"{n} finding{'s' if n > 1 else ''} suppressed by `# archviz: ignore`"] if n else []
    marks += [
        f"{at}: `# archviz: ignore[{c}]` names no finding code; it suppresses nothing" for at, c in chosen.unknown
    ]
    notes = tuple(examined.notes)
    return Report(trace, examined.provenance, examined.axes, notes, tuple(marks), chosen, rule_names(), choice, path)


def _full_lines(findings: Iterable[Finding], path: str) -> dict[tuple[str, int], str]:
    """(file, line) -> that line of the model's files in full (the record keeps 160 characters of it), where
    the file still holds the line the record saw."""
    folder = os.path.dirname(path)
    texts: dict[str, list[str]] = {}
    found = {}
    for f in findings:
        if f.source is None or not path:
            continue
        name, line = f.source.file, f.source.line
        if name not in texts:
            try:
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
                    texts[name] = fh.read().split("\n")  # universal newlines: Python's own line numbers
            except OSError:
                texts[name] = []
        full = texts[name][line - 1] if 0 < line <= len(texts[name]) else ""
        if full.strip()[:160] == f.source.code:
            found[(name, line)] = full
    return found


# ---- text ------------------------------------------------------------------------------------------


def where(f: Finding, trace: Trace) -> str:
    """`model.py:17`, or the model file when no line is known."""
    return f.where or trace.source_file or "model"


def text(r: Report) -> str:
    """The findings for the terminal: most severe first, each with file:line, what was seen, why it is
    probably a bug and the likely fix; then the axes and what the experiments could not do."""
    lines = []
    for f in r.kept:
        lines.append(f"{where(f, r.trace)}: {f.severity} [{f.code}] {f.title}")
        if f.source is not None and f.source.code:
            lines.append(f"    {f.source.line} | {f.source.code}")
        lines += [f"    seen: {f.seen}", f"    why:  {f.why}", f"    fix:  {f.fix}", ""]
    if not r.kept:
        lines += [summary(r), ""]
    if r.axes is not None and r.provenance is not None:
        lines.append("axes: " + axes_text(r.trace, r.provenance, r.axes))
    lines += [f"note: {n}" for n in r.said]
    return "\n".join(lines).rstrip() + "\n"


def concise(r: Report) -> str:
    """One line per finding (`model.py:17: warning [dead-param] …`), then the summary line, then what the
    markers suppressed."""
    lines = [f"{where(f, r.trace)}: {f.severity} [{f.code}] {f.title}" for f in r.kept]
    lines.append(summary(r))
    lines += [f"note: {n}" for n in r.marks]
    return "\n".join(lines) + "\n"


def counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """Severity -> how many, most severe first."""
    found = [f.severity for f in findings]
    return {s: found.count(s) for s in Severity}


def summary(r: Report) -> str:
    """`no findings: checked 214 calls against 7 rules (shape clash, …); sizes traced back to 3 input axes`."""
    said = ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts(r.kept).items() if n) or "no findings"
    rules = ", ".join(name.replace("_", " ") for name in r.rules)
    calls = f"{len(r.trace.calls)} calls"
    if r.trace.failure:
        calls = f"the {calls} that ran before the forward pass failed"
    return f"{said}: checked {calls} against {len(r.rules)} rules ({rules}); {_traced(r)}"


def _traced(r: Report) -> str:
    n = traced_axes(r.provenance) if r.provenance is not None else 0
    if not n:
        return "sizes were not traced back to the inputs"
    return f"sizes traced back to {n} input {'axis' if n == 1 else 'axes'}"


def traced_axes(prov: Provenance) -> int:
    """How many input axes a grown run followed (an axis the model accepts at one size only is not one)."""
    return sum(any(t.trace is not None and t.trace.failure is None for t in exp.trials) for exp in prov.groups)


def axes_entries(trace: Trace, prov: Provenance, axes: Axes) -> list[dict[str, Any]]:
    """One entry per named axis: name, size, the input dims it is, and the evidence for its name."""
    arg_names = trace.calls[0].arg_names if trace.calls else ()
    found = []
    for exp in prov.groups:
        name = axes.names.get(exp.group)
        if name is None:
            continue
        members = [{"input": named_path(p, arg_names), "dim": d} for p, d in exp.members]
        evidence = [e.text for e in axes.evidence.get(exp.group, ())]
        found.append({"name": name, "size": exp.size, "members": members, "evidence": evidence})
    return found


def axes_text(trace: Trace, prov: Provenance, axes: Axes) -> str:
    """`B = 3 (x dim 1: nn.LSTM 'lstm'), T = 5 (x dim 0: nn.LSTM 'lstm')`."""
    parts = []
    for a in axes_entries(trace, prov, axes):
        why = f": {a['evidence'][0]}" if a["evidence"] else ""
        at = ", ".join(f"{m['input']} dim {m['dim']}" for m in a["members"][:2])
        parts.append(f"{a['name']} = {a['size']} ({at}{why})")
    return "; ".join(parts) or "none named"


# ---- JSON ------------------------------------------------------------------------------------------


def document(r: Report) -> dict[str, Any]:
    """The stable JSON document (`schema` 1): findings in the doctor's order, axes, notes, what was checked."""
    named = axes_entries(r.trace, r.provenance, r.axes) if r.provenance is not None and r.axes is not None else []
    tested = traced_axes(r.provenance) if r.provenance is not None else None
    return {
        "schema": SCHEMA,
        "file": r.trace.source_file,
        "findings": [_finding(f, r.trace) for f in r.kept],
        "axes": named,
        "notes": list(r.said),
        "counts": {s.value: n for s, n in counts(r.kept).items()},
        "checked": {
            "calls": len(r.trace.calls),
            "rules": list(r.rules),
            "input_axes": tested,
            "select": [c.value for c in FindingCode if c in r.choice.select],
            "ignore": [c.value for c in FindingCode if c in r.choice.ignore],
            "suppressed": len(r.chosen.suppressed),
            "not_selected": len(r.chosen.unselected),
        },
    }


def _finding(f: Finding, trace: Trace) -> dict[str, Any]:
    return {
        "code": f.code.value,
        "severity": f.severity.value,
        "title": f.title,
        "file": f.source.file if f.source else trace.source_file,
        "line": f.source.line if f.source else None,
        "code_line": f.source.code if f.source and f.source.code else None,
        "seen": f.seen,
        "why": f.why,
        "fix": f.fix,
        "calls": list(f.calls),
    }


# ---- SARIF -----------------------------------------------------------------------------------------


def sarif(r: Report) -> dict[str, Any]:
    """SARIF 2.1.0 with one run: a rule per finding code reported, a result per finding."""
    codes = [c for c in FindingCode if any(f.code == c for f in r.kept)]
    index = {c: i for i, c in enumerate(codes)}
    driver = {"name": "archviz", "version": __version__, "rules": [_rule(c) for c in codes]}
    run = {
        "tool": {"driver": driver},
        "results": [_result(f, index[f.code], r) for f in r.kept],
        "properties": {"notes": list(r.said), "suppressed": len(r.chosen.suppressed)},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(code: FindingCode) -> dict[str, Any]:
    short, full = CODE_TEXT.get(code, (code.value.replace("-", " ").capitalize(), code.value))
    how = f"Suppress one on its line with `# archviz: ignore[{code.value}]`, or all with `--ignore {code.value}`."
    return {
        "id": code.value,
        "name": "".join(w.capitalize() for w in code.value.split("-")),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": f"{full} {how}"},
    }


def _result(f: Finding, rule_index: int, r: Report) -> dict[str, Any]:
    uri = artifact_uri(f.source.file if f.source else r.trace.source_file, r.path)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
    if f.source is not None:
        physical["region"] = {"startLine": f.source.line}
        if f.source.code:
            physical["region"]["snippet"] = {"text": f.source.code}
    key = "\0".join([f.code, uri, f.source.code if f.source else "", f.title])
    return {
        "ruleId": f.code.value,
        "ruleIndex": rule_index,
        "level": SARIF_LEVEL[f.severity],
        "message": {"text": f"{f.title}\nseen: {f.seen}"},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"archviz/v1": hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]},
        "properties": {"why": f.why, "fix": f.fix},
    }


def artifact_uri(name: str, path: str) -> str:
    """A file of the model's folder as a relative URI: from the current folder when the model lies under it
    (code scanning resolves paths from the repository's root, where CI runs), else from the model's folder."""
    shown = name
    if path:
        full = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), name))
        try:
            relative = os.path.relpath(full, os.getcwd())
        except ValueError:  # another drive (Windows): no relative path exists
            relative = os.pardir
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            shown = relative
    return quote(shown.replace(os.sep, "/"))


def render(r: Report) -> str | bytes:
    """The report in the format its choice names: text (or its concise layout) as text, JSON and SARIF as
    UTF-8 bytes, whatever the terminal's encoding."""
    if r.choice.fmt in ("json", "sarif"):
        doc = document(r) if r.choice.fmt == "json" else sarif(r)
        return (json.dumps(doc, indent=2, ensure_ascii=True) + "\n").encode("utf-8")
    return concise(r) if r.choice.concise else text(r)
