"""softmax-axis (analysis/doctor/attention.py) on the silent corpus and on fixtures of its own: each
softmax over an axis the weighted sum does not reduce found at its line, correct attention clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulecases import SILENT, WRITTEN, expected, findings, fixtures, found_at, serious, silent

from archviz.kinds import Severity

CODES = {"softmax-axis"}
ENTRIES = silent(CODES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["file"]).stem for e in ENTRIES])
def test_each_silent_bug_is_found_at_its_line(entry: dict) -> None:
    hit = found_at(SILENT / entry["file"], entry["line"], entry["code"])
    assert hit.severity == Severity.WARNING


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["twin"]).stem for e in ENTRIES])
def test_each_twin_is_clean(entry: dict) -> None:
    assert not [f for f in findings(SILENT / entry["twin"]) if f.code in CODES]


@pytest.mark.parametrize("path", fixtures("attention", "bad"), ids=lambda p: p.stem)
def test_own_bugs_are_found_at_their_line(path: Path) -> None:
    line, code = expected(path)
    assert found_at(path, line, code).severity == Severity.WARNING


@pytest.mark.parametrize("path", fixtures("attention", "good"), ids=lambda p: p.stem)
def test_own_correct_variants_are_clean(path: Path) -> None:
    assert not serious(path, CODES)


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_no_warning_on_the_written_public_models(path: Path) -> None:
    assert not serious(path, CODES)


def test_the_finding_names_both_axes_and_the_fix() -> None:
    hit = found_at(SILENT / "bad/softmax-axis_query_axis.py", 22, "softmax-axis")
    assert "dim 1 (size 5)" in hit.title and "runs over dim 2 (size 8)" in hit.title and "line 23" in hit.title
    assert "bmm at line 23 contracts dim 2 of the weights [3, 5, 8] against [3, 8, 16]" in hit.seen
    assert "softmax(…, dim=-1)" in hit.fix
    pool = found_at(SILENT / "bad/softmax-axis_size1_pool.py", 23, "softmax-axis")
    assert "size-1 axis" in pool.why and "runs over dim 1 (T)" in pool.title


def test_a_mixing_the_rule_cannot_call_wrong_is_a_note() -> None:
    """NetVLAD: softmax over the clusters, sum over the positions, on purpose: at most a note."""
    notes = [f for f in findings(next(p for p in fixtures("attention", "good") if p.stem == "good_netvlad"))]
    assert all(f.severity == Severity.NOTE for f in notes if f.code in CODES)
