"""`archviz diff` from the command line: exit statuses, `--fail-on`, records, git revisions, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from diffpairs import PAIRS

from archviz.cli import main


def run(*args: object) -> Result:
    return CliRunner().invoke(main, ["diff", *[str(a) for a in args]])


def pair(name: str) -> tuple[Path, Path]:
    return PAIRS / f"{name}_old.py", PAIRS / f"{name}_new.py"


def test_no_change_exits_0_and_says_so() -> None:
    r = run(PAIRS / "residual_new.py", PAIRS / "refactor_new.py")
    assert r.exit_code == 0, r.output
    assert "no architectural change" in r.output


def test_a_change_exits_1() -> None:
    r = run(*pair("widen"))
    assert r.exit_code == 1
    assert "~ fc1 (Linear)" in r.output and "fc1.weight [32, 16] → [64, 16]" in r.output


@pytest.mark.parametrize(
    ("name", "fail_on", "status"),
    [
        ("widen", "params>50%", 1),  # +99.4 %
        ("widen", "params>200%", 0),
        ("widen", "params>600", 1),  # +672
        ("widen", "params>700", 0),
        ("residual", "checkpoint", 0),  # a residual adds no weight
        ("residual", "wiring", 1),
        ("norm", "checkpoint", 1),
        ("norm", "outputs", 0),
        ("stack", "loops", 1),
        ("stack", "outputs,params>50%", 0),
    ],
)
def test_fail_on_chooses_what_counts(name: str, fail_on: str, status: int) -> None:
    r = run(*pair(name), "--fail-on", fail_on, "--format", "json")
    assert r.exit_code == status, r.output
    doc = json.loads(r.output)
    assert doc["architecture_changed"] is True
    assert bool(doc["failed_on"]) == bool(status)


def test_unknown_fail_on_is_a_usage_error() -> None:
    r = run(*pair("widen"), "--fail-on", "vibes")
    assert r.exit_code == 2
    assert "--fail-on" in r.output and "vibes" in r.output


def test_missing_side_names_the_file(tmp_path: Path) -> None:
    r = run(tmp_path / "nope.py", PAIRS / "widen_new.py")
    assert r.exit_code == 2
    assert "nope.py" in r.output and "no such file" in r.output


def test_a_broken_record_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "old.json"
    bad.write_text('{"schema_version": 2, "calls": [}', encoding="utf-8")
    r = run(bad, PAIRS / "widen_new.py")
    assert r.exit_code == 2
    assert "old.json" in r.output and "not an archviz record" in r.output
    assert len(r.output.strip().splitlines()) == 1  # one paragraph


def test_a_model_that_fails_to_import_is_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\nraise RuntimeError('no model today')\n", encoding="utf-8")
    r = run(broken, PAIRS / "widen_new.py")
    assert r.exit_code == 2
    assert "broken.py" in r.output


def test_saved_records_diff_as_the_model_files_do(tmp_path: Path) -> None:
    """JSON records written by `render --format json` give the same report as the files they came from."""
    old, new = pair("stack")
    for p in (old, new):
        done = CliRunner().invoke(main, ["render", str(p), "--format", "json", "-o", str(tmp_path), "-q"])
        assert done.exit_code == 0, done.output
    from_files = run(old, new, "--format", "json")
    from_records = run(tmp_path / "stack_old.json", tmp_path / "stack_new.json", "--format", "json")
    a, b = json.loads(from_files.output), json.loads(from_records.output)
    for doc in (a, b):
        doc.pop("old"), doc.pop("new")
    assert a == b
    assert a["counts"] == [{"what": "layers (repeated layers)", "old": 11, "new": 12}]


def test_output_is_the_same_bytes_every_time() -> None:
    first = [run(*pair("batch_first"), "--format", f).output for f in ("md", "json", "dot")]
    again = [run(*pair("batch_first"), "--format", f).output for f in ("md", "json", "dot")]
    assert first == again


def test_writes_a_file_with_out(tmp_path: Path) -> None:
    target = tmp_path / "diff.svg"
    r = run(*pair("rename"), "--format", "svg", "-o", target)
    assert r.exit_code == 1
    svg = target.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "encoder.mlp" in svg and "was encoder.ff" in svg


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_revision_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`HEAD:models/net.py` against the work tree: the revision imports its own sibling, and the work
    tree is left as it was."""
    repo = tmp_path / "repo"
    models = repo / "models"
    models.mkdir(parents=True)
    (models / "layers.py").write_text("WIDTH = 32\n", encoding="utf-8")
    (models / "net.py").write_text(
        (PAIRS / "widen_old.py")
        .read_text(encoding="utf-8")
        .replace("HIDDEN = 32", "from layers import WIDTH as HIDDEN"),
        encoding="utf-8",
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    (models / "layers.py").write_text("WIDTH = 64\n", encoding="utf-8")  # only the sibling changes
    before = _git(repo, "status", "--porcelain")
    monkeypatch.chdir(repo)
    r = run("HEAD:models/net.py", "models/net.py", "--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.output)
    assert {c["path"] for c in doc["changed"]} == {"fc1", "act", "fc2"}
    assert doc["old"] == "HEAD:models/net.py"
    assert _git(repo, "status", "--porcelain") == before
    assert (models / "layers.py").read_text(encoding="utf-8") == "WIDTH = 64\n"
    same = run("HEAD:models/net.py", "HEAD:./models/net.py")
    assert same.exit_code == 0 and "no architectural change" in same.output
    monkeypatch.chdir(models)
    relative = run("HEAD:./net.py", "net.py", "--format", "json")  # git's rule: ./ is from here
    assert relative.exit_code == 1
    bad = run("HEAD~5:models/net.py", "models/net.py")
    assert bad.exit_code == 2 and "HEAD~5:models/net.py" in bad.output
