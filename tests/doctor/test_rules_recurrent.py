"""shared-gate and bidirectional (analysis/doctor/recurrent.py, states.py) on the silent corpus and on
fixtures of their own: each bug found at its line, each correct twin and variant clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulecases import SILENT, WRITTEN, expected, fixtures, found_at, serious, silent

from archviz.kinds import Severity

CODES = {"shared-gate", "bidirectional"}
ENTRIES = silent(CODES)
# out[-1] of a bidirectional output is reported by layout.padding_read (the reverse half has read one
# step), under `bidirectional` when nothing was padded; the rule in states.py leaves it alone.
REPORTED_AS: dict[str, str] = {}


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["file"]).stem for e in ENTRIES])
def test_each_silent_bug_is_found_at_its_line(entry: dict) -> None:
    code = REPORTED_AS.get(entry["file"], entry["code"])
    hit = found_at(SILENT / entry["file"], entry["line"], code)
    assert hit.severity == Severity.WARNING


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["twin"]).stem for e in ENTRIES])
def test_each_twin_is_clean(entry: dict) -> None:
    assert not serious(SILENT / entry["twin"], CODES | {"padding-read"})


@pytest.mark.parametrize("path", fixtures("recurrent", "bad"), ids=lambda p: p.stem)
def test_own_bugs_are_found_at_their_line(path: Path) -> None:
    line, code = expected(path)
    assert found_at(path, line, code).severity == Severity.WARNING


@pytest.mark.parametrize("path", fixtures("recurrent", "good"), ids=lambda p: p.stem)
def test_own_correct_variants_are_clean(path: Path) -> None:
    assert not serious(path, CODES)


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_no_warning_on_the_written_public_models(path: Path) -> None:
    assert not serious(path, CODES)


def test_shared_gates_are_named_and_the_idle_weight_suggested() -> None:
    hit = found_at(SILENT / "bad/shared-gate_gru_reset_as_update.py", 30, "shared-gate")
    assert "r and z" in hit.title and "self.reset" in hit.title
    assert "self.update" in hit.fix and "lines 29, 30" in hit.seen
    four = found_at(*_marked("bad_lstm_four_gates_one_linear"))
    assert "i, f, g and o" in four.title and "self.gate(" in four.title


def test_a_gate_used_twice_names_the_one_left_unread() -> None:
    hit = found_at(SILENT / "bad/shared-gate_lstm_forget_as_input.py", 26, "shared-gate")
    assert "by one gate, f" in hit.title and "sigmoid(i) (line 25) computed and never read" in hit.seen
    chained = found_at(SILENT / "bad/shared-gate_lstm_one_linear.py", 27, "shared-gate")
    assert chained.title.startswith("gates i, f and o are one tensor")


def test_the_rows_read_are_named_by_layer_and_direction() -> None:
    last = found_at(SILENT / "bad/bidirectional_hn_last_as_forward.py", 25, "bidirectional")
    assert "h_n[-1] is layer 1 reverse" in last.seen and "read 2 times (lines 25, 26)" in last.seen
    assert "h_n[-2]" in last.fix
    first = found_at(SILENT / "bad/bidirectional_two_layer_first.py", 23, "bidirectional")
    assert "h_n[0] (layer 0 forward) and h_n[1] (layer 0 reverse)" in first.seen and "h_n[-2] and h_n[-1]" in first.fix
    swapped = found_at(SILENT / "bad/bidirectional_cat_swapped.py", 27, "bidirectional")
    assert "[reverse | forward]" in swapped.seen and "line 28 takes its first 16 features" in swapped.seen
    assert "torch.cat([h_n[-2], h_n[-1]], dim=-1)" in swapped.fix


def _marked(stem: str) -> tuple[Path, int, str]:
    path = next(p for p in fixtures("recurrent", "bad") if p.stem == stem)
    return (path, *expected(path))
