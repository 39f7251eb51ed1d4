"""`archviz render --check` and the pre-commit hook built on it: compare a fresh render with the output folder.

The models here carry no verification numbers (no built-in RNN), so two renders are byte-identical.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import EXAMPLES, ROOT

from archviz import cli

MLP = """import torch
from torch import nn


def build_model():
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))


def example_inputs():
    torch.manual_seed(0)
    return (torch.randn(4, 10),)
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["render", *args, "-q"])


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a folder: its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def mlp(tmp_path: Path) -> Path:
    model = tmp_path / "mlp.py"
    model.write_text(MLP, encoding="utf-8")
    return model


def test_an_up_to_date_folder_passes_and_is_left_alone(mlp: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(mlp), "-o", str(out)).exit_code == 0
    before = snapshot(out)
    assert set(before) == {"mlp.svg", "mlp.html"}
    checked = run(str(mlp), "-o", str(out), "--check")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout == "" and f"2 up to date in {out}" in checked.stderr
    assert snapshot(out) == before


def test_a_changed_model_names_each_file_that_would_change(mlp: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(mlp), "-o", str(out), "--format", "svg,dot,json").exit_code == 0
    before = snapshot(out)
    mlp.write_text(MLP.replace("32", "16"), encoding="utf-8")
    checked = run(str(mlp), "-o", str(out), "--format", "svg,dot,json", "--check")
    assert checked.exit_code == 1
    names = ("mlp.dot", "mlp.json", "mlp.svg")
    assert sorted(checked.stdout.splitlines()) == [f"would change: {out / n}" for n in names]
    assert "3 would change, 0 up to date" in checked.stderr
    assert snapshot(out) == before  # nothing written


def test_only_the_formats_asked_for_are_compared(mlp: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(mlp), "-o", str(out), "--format", "svg").exit_code == 0
    (out / "unrelated.txt").write_text("kept", encoding="utf-8")
    assert run(str(mlp), "-o", str(out), "--format", "svg", "--check").exit_code == 0
    missing = run(str(mlp), "-o", str(out), "--format", "svg,json", "--check")
    assert missing.exit_code == 1 and missing.stdout == f"missing: {out / 'mlp.json'}\n"
    view = run(str(mlp), "-o", str(out), "--format", "svg", "--depth", "0", "--check")  # other options, other bytes
    assert view.exit_code == 1 and view.stdout == f"would change: {out / 'mlp.svg'}\n"
    assert sorted(p.name for p in out.iterdir()) == ["mlp.svg", "unrelated.txt"]


def test_a_missing_output_folder_is_not_created(mlp: Path, tmp_path: Path) -> None:
    out = tmp_path / "never"
    checked = run(str(mlp), "-o", str(out), "--check")
    assert checked.exit_code == 1
    assert checked.stdout.splitlines() == [f"missing: {out / 'mlp.svg'}", f"missing: {out / 'mlp.html'}"]
    assert not out.exists()


def test_every_format_and_the_gate_diagrams_compare_equal_after_a_render(tmp_path: Path) -> None:
    """The hand-written GRU (custom cells: drill-in gate diagrams, no verification numbers); PDFs carry a
    creation date, which the comparison leaves out."""
    out, formats = tmp_path / "out", "svg,png,pdf,dot,json,html"
    model = str(EXAMPLES / "gru.py")
    rendered = run(model, "-o", str(out), "--format", formats)
    assert rendered.exit_code == 0
    files = sorted(p.name for p in out.iterdir())
    assert "gru.cells.0.gates.svg" in files and "gru.pdf" in files and len(files) == 14
    checked = run(model, "-o", str(out), "--format", formats, "--check")
    assert checked.exit_code == 0, checked.stdout
    assert "14 up to date" in checked.stderr
    pdf = out / "gru.pdf"
    pdf.write_bytes(pdf.read_bytes().replace(b"/Count 1", b"/Count 2"))
    assert run(model, "-o", str(out), "--format", formats, "--check").stdout == f"would change: {pdf}\n"


def test_a_failing_forward_pass_fails_the_check(tmp_path: Path) -> None:
    model = tmp_path / "broken.py"
    model.write_text(MLP.replace("torch.randn(4, 10)", "torch.randn(4, 7)"), encoding="utf-8")
    out = tmp_path / "out"
    run(str(model), "-o", str(out), "--format", "svg")
    checked = run(str(model), "-o", str(out), "--format", "svg", "--check")
    assert checked.exit_code == 1 and checked.stdout == ""  # the partial diagram is up to date, the model is not
    assert "forward pass failed" in checked.stderr and "Linear" in checked.stderr
    assert "partial diagram written" not in checked.stderr


def test_the_pre_commit_hook_runs_the_check_with_the_users_args(mlp: Path, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")  # installed with mkdocs (test extra)
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "archviz-check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["files"] == r"\.py$"
    program, *entry = shlex.split(hook["entry"])
    assert program == "archviz" and entry == ["render", "--check"]
    out = tmp_path / "docs"
    args = [str(mlp), "--format", "svg", "-o", str(out)]  # what a user lists under `args:`
    assert CliRunner().invoke(cli.main, [*entry, *args]).exit_code == 1  # not rendered yet
    assert not out.exists()
    assert CliRunner().invoke(cli.main, ["render", *args]).exit_code == 0
    assert CliRunner().invoke(cli.main, [*entry, *args]).exit_code == 0


def test_check_leaves_no_temporary_folder_behind(mlp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    run(str(mlp), "-o", str(tmp_path / "out"), "--check")
    assert os.listdir(scratch) == []
