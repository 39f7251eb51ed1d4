"""Dead work without false alarms (issue #19, part 3): `dead-module` and `dead-param` on models written
the way public code is (tests/doctor/idle).

Used means called, or read or called through its methods in the code that ran (the user's files and
the library's), or tied to a used weight. What only another mode or branch uses is a note; what no
code uses, or only code nothing calls, is a warning. The same finding at every layer is one finding
(`×N`); one in a library's code points at the user's line that built it.
"""

from __future__ import annotations

import contextlib
import io
import re
from functools import cache
from pathlib import Path

import pytest

from archviz.app import doctor as doctoring
from archviz.app import trace_file
from archviz.kinds import FindingCode, Severity
from archviz.record import Finding

IDLE = Path(__file__).resolve().parent / "idle"
DEAD = (FindingCode.DEAD_MODULE, FindingCode.DEAD_PARAM, FindingCode.DEAD_RESULT)


@cache
def findings(name: str) -> tuple[Finding, ...]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return doctoring.examine(trace_file(str(IDLE / name))).trace.findings


def dead(name: str) -> list[Finding]:
    return [f for f in findings(name) if f.code in DEAD]


GOOD = sorted(p.name for p in (IDLE / "good").glob("*.py"))


@pytest.mark.parametrize("name", GOOD)
def test_a_correct_model_gets_no_dead_work_warning(name: str) -> None:
    assert [(f.code, f.where, f.title) for f in dead(f"good/{name}") if f.severity != Severity.NOTE] == []


@pytest.mark.parametrize("name", ["corr_methods.py", "tied_shared.py", "variable_state.py", "weight_norm_tcn.py"])
def test_used_through_methods_ties_variable_and_weight_norm_are_used(name: str) -> None:
    assert [(f.code, f.title) for f in dead(f"good/{name}")] == []


def test_a_dropout_read_for_its_p_is_one_note_for_every_layer() -> None:
    (f,) = dead("good/dropout_p.py")
    assert f.severity == Severity.NOTE and f.code == FindingCode.DEAD_MODULE
    assert "'layers.*.dropout' (×2)" in f.title
    assert "self.dropout.p" in f.seen and "SelfAttention.forward" in f.seen
    assert "size" not in f.why  # a dropout has no parameters


@pytest.mark.parametrize(
    ("name", "what", "where"),
    [
        ("drop_path_skip.py", "'1.drop_path'", "drop_path_skip.py:42"),  # called only on blocks with a skip
        ("empty_branch.py", "'*.branch1' (×2)", "empty_branch.py:31"),  # the other branch of the stride test
        ("training_only_param.py", "'masked_spec_embed'", "training_only_param.py:24"),  # read only when training
    ],
)
def test_used_only_in_another_branch_or_mode_is_a_note(name: str, what: str, where: str) -> None:
    found = dead(f"good/{name}")
    assert [f.severity for f in found] == [Severity.NOTE]
    assert what in found[0].title
    assert f"the code that ran refers to it at {where}" in found[0].seen  # the line that would use it


def _marked(path: Path) -> tuple[str, int]:
    """The code and line of the `# doctor: code` marker in a bad fixture."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = re.search(r"# doctor: ([\w-]+)", line)
        if m:
            return m[1], i
    raise AssertionError(f"no marker in {path}")


@pytest.mark.parametrize("name", sorted(p.name for p in (IDLE / "bad").glob("*.py")))
def test_real_dead_work_is_a_warning_at_its_line(name: str) -> None:
    code, line = _marked(IDLE / "bad" / name)
    hits = [f for f in dead(f"bad/{name}") if f.severity == Severity.WARNING and f.code == code]
    assert [f.source.line if f.source else None for f in hits] == [line], findings(f"bad/{name}")


def test_an_unused_module_without_parameters_does_not_count_in_the_size() -> None:
    (f,) = dead("bad/unused_dropout.py")
    assert "no code refers to it" in f.seen  # F.dropout in forward is torch's function, not this module
    assert "size" not in f.why and "no parameters" in f.why


def test_identical_findings_are_grouped() -> None:
    (f,) = dead("bad/stacked_dead_norm.py")
    assert "'blocks.*.norm' (×3)" in f.title and "parameters count in the model's size" in f.why


def test_a_finding_in_library_code_points_at_the_users_line() -> None:
    (f,) = dead("user/library_model.py")
    assert f.severity == Severity.NOTE and "(×3)" in f.title
    assert f.where == "library_model.py:22"  # self.encoder = LibEncoder(16, layers=3)
    assert "tinylib.py:14" in f.seen and "tinylib.py:18" in f.seen  # where the library makes and reads it
