"""`archviz doctor` on the corpora: no warning on any correct model, and each bug found at its line.

Precision first: every good model (and the repository's examples) must give no warning and no error
(notes are allowed). Every bad model must give a finding of its manifest's code whose line is the
marked line, and that finding must be the most severe one. The command itself is run through Click
for its exit codes (0 clean, 1 warnings or errors) and its text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from archviz.app import doctor as doctoring
from archviz.app import trace_file
from archviz.cli import main
from archviz.kinds import Severity

CORPUS = Path(__file__).resolve().parent / "corpus"
ENTRIES: list[dict] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
GOOD = [e["file"] for e in ENTRIES if "code" not in e]
BAD = [e for e in ENTRIES if "code" in e]


def examine(path: Path) -> doctoring.Examined:
    return doctoring.examine(trace_file(str(path)))


def serious(examined: doctoring.Examined) -> list[str]:
    return [
        f"{f.where} {f.severity} [{f.code}] {f.title}"
        for f in examined.trace.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]


@pytest.mark.parametrize("name", GOOD)
def test_no_warning_on_a_correct_model(name: str) -> None:
    examined = examine(CORPUS / name)
    assert not serious(examined), serious(examined)


@pytest.mark.parametrize("name", ["gru", "mogrifier", "bilstm_classifier"])
def test_no_warning_on_the_examples(name: str) -> None:
    examined = examine(EXAMPLES / f"{name}.py")
    assert not serious(examined), serious(examined)


@pytest.mark.parametrize("entry", BAD, ids=[e["file"] for e in BAD])
def test_each_bug_is_found_at_its_line(entry: dict) -> None:
    path = CORPUS / entry["file"]
    examined = examine(path)
    found = [f for f in examined.trace.findings if f.code == entry["code"]]
    where = f"{path.name}:{entry['line']}"
    seen = [f"{f.where} [{f.code}] {f.title}" for f in examined.trace.findings]
    assert any(f.where == where for f in found), (where, seen)
    first = examined.trace.findings[0]
    assert first.severity in (Severity.ERROR, Severity.WARNING)
    hit = next(f for f in found if f.where == where)
    assert hit.seen and hit.why and hit.fix


def test_doctor_command_exit_codes_and_text(tmp_path: Path) -> None:
    clean = CliRunner().invoke(main, ["doctor", str(EXAMPLES / "gru.py")])
    assert clean.exit_code == 0, clean.output + clean.stderr
    assert "axes:" in clean.stdout and "B = 3" in clean.stdout and "T = 5" in clean.stdout
    bad = next(e for e in BAD if e["code"] == "batch-time")
    result = CliRunner().invoke(main, ["doctor", str(CORPUS / bad["file"])])
    assert result.exit_code == 1, result.stdout + result.stderr
    heads = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert f"{Path(bad['file']).name}:{bad['line']}: warning [batch-time]" in "\n".join(heads)
    assert "    seen: " in result.stdout and "    why:  " in result.stdout and "    fix:  " in result.stdout
    usage = CliRunner().invoke(main, ["doctor", str(EXAMPLES / "gru.py"), "--dims", "x"])
    assert usage.exit_code == 2 and "--dims" in usage.stderr


def test_render_says_so_and_the_report_shows_findings(tmp_path: Path) -> None:
    bad = next(e for e in BAD if e["code"] == "probabilities")
    path = CORPUS / bad["file"]
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path), "--format", "svg,html"])
    assert result.exit_code == 0, result.stderr
    assert "the doctor found 1 warning" in result.stderr and f"archviz doctor {path}" in result.stderr
    html = (tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
    assert 'id="doctor"' in html and "[probabilities]" not in html and "probabilities" in html
    badges = json.loads(re.search(r'<script type="application/json" id="badges">(.*?)</script>', html, re.S)[1])
    assert badges and all(b["severity"] == "warning" for b in badges.values())
    assert any("probabilities, not logits" in t for b in badges.values() for t in b["titles"])
    assert all(f'id="{e.replace("-", "&#45;")}"' in html for e in badges)  # each badge names a drawn box
    assert f"{path.name}:{bad['line']}" in html


def test_dims_draw_named_shapes(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["render", str(EXAMPLES / "gru.py"), "-o", str(tmp_path), "--format", "svg", "--dims", "x=B,T,F"]
    )
    assert result.exit_code == 0, result.stderr
    svg = (tmp_path / "gru.svg").read_text(encoding="utf-8")
    assert "[B=3, T=5, F=10]" in svg and "[B=3, 20]" in svg
    args = ["render", str(EXAMPLES / "gru.py"), "-o", str(tmp_path / "a"), "--format", "svg", "--dims", "auto"]
    auto = CliRunner().invoke(main, args)
    assert auto.exit_code == 0, auto.stderr
    assert "B=3" in (tmp_path / "a" / "gru.svg").read_text(encoding="utf-8")


def test_the_readme_shows_real_doctor_output() -> None:
    """Each `$ archviz doctor FILE` block in the README is what the command prints for that corpus file."""
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n\$ archviz doctor (\S+)\n(.*?)```", readme, re.S)
    assert len(blocks) >= 2
    for name, shown in blocks:
        path = next(CORPUS.glob(f"*/{name}"))
        result = CliRunner().invoke(main, ["doctor", str(path)])
        assert result.exit_code == 1
        printed = result.stdout
        assert printed.startswith(shown.rstrip("\n")), (name, printed)


@pytest.mark.parametrize("doctor", [False, True])
def test_a_failed_render_says_why_after_where(tmp_path: Path, doctor: bool) -> None:
    bad = next(e for e in BAD if e["file"].endswith("shape_h0_seqfirst_cell.py"))
    path = CORPUS / bad["file"]
    extra = ["--doctor"] if doctor else []
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path), "--format", "svg", *extra])
    assert result.exit_code == 1
    failed, hint = result.stderr.strip().splitlines()[-2:]
    assert failed.startswith("archviz: forward pass failed") and "[3, 20]" in failed and "[5, 20]" in failed
    assert hint.startswith("archviz: the doctor found 1 error (shape_h0_seqfirst_cell.py:22: add failed")
    assert hint.endswith(f"run `archviz doctor {path}`")
    # where the 5 comes from is learned by re-running the model: only when asked for
    assert ("5 = T (x.size(0))" in hint) is doctor
