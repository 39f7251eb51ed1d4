"""`archviz doctor` on realistic silent bugs (tests/doctor/silent): each found at the line that made the
wrong size, with its code and an explanation naming the axes; each correct twin without a warning.

The bugs were written from public bug reports (see the manifest's `source`); the rules that find them
are general invariants over provenance, not patterns of this corpus. The few the doctor does not find
yet are listed in `MISSED` with the reason, as strict expected failures: a rule that starts finding one
makes its test fail until it is taken off the list.
"""

from __future__ import annotations

import contextlib
import io
import json
from functools import cache
from pathlib import Path

import pytest

from archviz.app import doctor as doctoring
from archviz.app import trace_file
from archviz.kinds import Severity
from archviz.record import Finding

SILENT = Path(__file__).resolve().parent / "silent"
ENTRIES: list[dict] = json.loads((SILENT / "manifest.json").read_text(encoding="utf-8"))
MISSED = {
    "bad/axes-scrambled_patch_flatten.py": "patches made with unfold: the patch grid is a floor of the image size, "
    "so no dim of the reshape is exactly an input axis",
    "bad/broadcast_residual_column.py": "found, at the subtraction (line 21); the manifest marks the head that made "
    "[B, 1] (line 20)",
    "bad/broadcast_masked_nll.py": "found, at masked_select (line 26); the manifest marks the gather that made [B, 1]",
    "bad/feature-axis_batchnorm_seq_len.py": "the GRU that reads the axis as time runs after the BatchNorm that "
    "fails when it grows: nothing names that axis time",
    "bad/feature-axis_batchnorm_coincide.py": "as above, and time and features are both 12",
    "bad/feature-axis_layernorm_fields.py": "the fields axis of a [B, fields] id input is named only by the token "
    "convention: too weak to call a LayerNorm wrong",
    "bad/layout_conv1d_time_channels.py": "a [B, 24, 5] input read as 24 channels of length 5 is a valid layout: "
    "nothing in the shapes says otherwise",
}


@cache
def findings(name: str) -> tuple[Finding, ...]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return doctoring.examine(trace_file(str(SILENT / name))).trace.findings


def serious(name: str) -> list[Finding]:
    return [f for f in findings(name) if f.severity != Severity.NOTE]


def _params() -> list:  # type: ignore[type-arg]
    marks = {
        e["file"]: pytest.mark.xfail(strict=True, reason=MISSED[e["file"]]) for e in ENTRIES if e["file"] in MISSED
    }
    return [pytest.param(e, id=e["file"], marks=marks.get(e["file"], ())) for e in ENTRIES]


@pytest.mark.parametrize("entry", _params())
def test_the_bug_is_found_at_its_line(entry: dict) -> None:
    made = serious(entry["file"])
    hits = [f for f in made if f.code == entry["code"] and f.source and f.source.line == entry["line"]]
    assert hits, [(f.code, f.where, f.title) for f in made]
    f = hits[0]
    assert f.seen and f.why and f.fix  # what was seen in the real shapes, why it is a bug, the likely fix


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["twin"] for e in ENTRIES])
def test_the_correct_twin_has_no_warning(entry: dict) -> None:
    assert [(f.code, f.where, f.title) for f in serious(entry["twin"])] == []


def test_recall_is_at_least_80_percent_across_classes() -> None:
    found = [e for e in ENTRIES if e["file"] not in MISSED]
    assert len(found) / len(ENTRIES) >= 0.8
    assert len({e["code"] for e in found}) >= 12
