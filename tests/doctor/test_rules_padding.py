"""padding-read's reductions (analysis/doctor/padding.py): a mean, max or sum over the time axis of a padded
batch with no mask, found at its line; masked, length-divided and equal-length reductions clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulecases import SILENT, WRITTEN, expected, fixtures, found_at, serious, silent

from archviz.kinds import Severity

CODES = {"padding-read"}
ENTRIES = silent(CODES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["file"]).stem for e in ENTRIES])
def test_each_silent_bug_is_found_at_its_line(entry: dict) -> None:
    hit = found_at(SILENT / entry["file"], entry["line"], entry["code"])
    assert hit.severity == Severity.WARNING


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["twin"]).stem for e in ENTRIES])
def test_each_twin_is_clean(entry: dict) -> None:
    assert not serious(SILENT / entry["twin"], CODES)


@pytest.mark.parametrize("path", fixtures("padding", "bad"), ids=lambda p: p.stem)
def test_own_bugs_are_found_at_their_line(path: Path) -> None:
    line, code = expected(path)
    assert found_at(path, line, code).severity == Severity.WARNING


@pytest.mark.parametrize("path", fixtures("padding", "good"), ids=lambda p: p.stem)
def test_own_correct_variants_are_clean(path: Path) -> None:
    assert not serious(path, CODES)


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_no_warning_on_the_written_public_models(path: Path) -> None:
    assert not serious(path, CODES)


def test_the_finding_says_how_many_steps_are_real_and_how_to_mask() -> None:
    hit = found_at(SILENT / "bad/padding-read_mean_padded.py", 24, "padding-read")
    assert "22 of its 36 steps are real" in hit.seen and "divides every sequence by all 9 steps" in hit.why
    assert "lengths" in hit.fix
    peak = found_at(SILENT / "bad/padding-read_max_padded.py", 24, "padding-read")
    assert "-inf" in peak.fix
    last = found_at(SILENT / "bad/padding-read_last_unpacked.py", 23, "padding-read")
    assert "never reads its input 'lengths'" in last.seen
