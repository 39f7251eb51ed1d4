"""`archviz doctor` in CI: JSON and SARIF output, `--select`/`--ignore`, `# archviz: ignore[code]` markers,
`--concise`, and exit statuses (0 clean, 1 findings, 2 usage, 3 a model that cannot be loaded).

Every format is checked against the text output of the same file, so they cannot drift apart; paths are
checked to be relative; the "no findings" line is checked to list the rules that are registered.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import types
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archviz.analysis.doctor import suppress
from archviz.app import doctor as doctoring
from archviz.app import findings, trace_file
from archviz.cli import main
from archviz.kinds import FindingCode, Severity
from archviz.record import Finding, Source
from archviz.version import __version__

CORPUS = Path(__file__).resolve().parent / "corpus"
ENTRIES: list[dict] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
BAD = {Path(e["file"]).name: e for e in ENTRIES if "code" in e}
DEAD_PARAM = CORPUS / "bad" / "dead_param_h0.py"  # one warning: dead-param at line 17
CLASH = CORPUS / "bad" / "shape_h0_seqfirst_cell.py"  # the forward pass fails: shape-clash (error) at line 22
GOOD = CORPUS / "good" / "vae.py"
HEAD = re.compile(
    r"^(?P<file>[\w.]+):(?P<line>\d+): (?P<severity>error|warning|note) \[(?P<code>[a-z-]+)\] (?P<title>.+)$"
)
# Two bugs of two codes in one model: a parameter never read and a dropout never called.
TWO_BUGS = """import torch
from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(4))
        self.drop = nn.Dropout(0.1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def build_model():
    return Net()


def example_inputs():
    return torch.randn(3, 4)
"""


def doctor(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["doctor", *map(str, args)])


def heads(stdout: str) -> list[dict[str, str]]:
    """The first line of each finding of the text output."""
    return [m.groupdict() for line in stdout.splitlines() if (m := HEAD.match(line))]


def copy(src: Path, folder: Path, marker_line: int | None = None, marker: str = "") -> Path:
    """`src` copied into `folder`, with `marker` appended to line `marker_line`."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = src.read_text(encoding="utf-8").split("\n")
    if marker_line is not None:
        lines[marker_line - 1] += f"  {marker}"
    dst = folder / src.name
    dst.write_text("\n".join(lines), encoding="utf-8")
    return dst


@pytest.mark.parametrize("path", [DEAD_PARAM, CLASH], ids=lambda p: p.name)
def test_json_is_the_text_findings_as_data(path: Path) -> None:
    text, as_json = doctor(path), doctor(path, "--format", "json")
    assert text.exit_code == as_json.exit_code == 1, text.stderr + as_json.stderr
    doc = json.loads(as_json.stdout)
    assert doc["schema"] == 1 and doc["file"] == path.name
    said = [(h["file"], int(h["line"]), h["severity"], h["code"], h["title"]) for h in heads(text.stdout)]
    got = [(f["file"], f["line"], f["severity"], f["code"], f["title"]) for f in doc["findings"]]
    assert got == said and got
    entry = BAD[path.name]
    assert any(f["code"] == entry["code"] and f["line"] == entry["line"] for f in doc["findings"])
    first = doc["findings"][0]
    assert f"    {first['line']} | {first['code_line']}" in text.stdout
    assert f"    seen: {first['seen']}" in text.stdout and f"    fix:  {first['fix']}" in text.stdout
    assert [f"note: {n}" for n in doc["notes"]] == [ln for ln in text.stdout.splitlines() if ln.startswith("note: ")]
    named = re.findall(r"(?:^axes: |; )(\w+) = (\d+) \(", text.stdout, re.M)
    assert [(a["name"], str(a["size"])) for a in doc["axes"]] == named
    assert doc["counts"][first["severity"]] >= 1 and sum(doc["counts"].values()) == len(doc["findings"])
    assert str(CORPUS) not in as_json.stdout  # no absolute path: files are relative to the model's folder


def test_sarif_has_what_code_scanning_requires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = copy(CLASH, tmp_path / "models")
    monkeypatch.chdir(tmp_path)  # CI runs from the repository's root: URIs are relative to it
    result = doctor(model, "--format", "sarif")
    assert result.exit_code == 1, result.stderr
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].startswith("https://") and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "archviz" and driver["version"] == __version__
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["shape-clash"]
    assert [rule["id"] for rule in driver["rules"]] == ["shape-clash"]
    for rule in driver["rules"]:
        assert all(rule[k]["text"].strip() for k in ("shortDescription", "fullDescription", "help"))
        assert f"# archviz: ignore[{rule['id']}]" in rule["help"]["text"]
    hit = results[0]
    assert hit["level"] == "error" and driver["rules"][hit["ruleIndex"]]["id"] == hit["ruleId"]
    assert (
        hit["message"]["text"].startswith("add failed: dim 0 of [3, 20]")
        and "\nseen: RuntimeError" in hit["message"]["text"]
    )
    physical = hit["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "models/shape_h0_seqfirst_cell.py", "uriBaseId": "%SRCROOT%"}
    line = BAD[CLASH.name]["line"]
    assert physical["region"]["startLine"] == line
    assert physical["region"]["snippet"]["text"] == CLASH.read_text(encoding="utf-8").split("\n")[line - 1].strip()
    assert all(isinstance(v, str) and v for v in hit["partialFingerprints"].values())
    assert str(tmp_path) not in result.stdout


def test_sarif_paths_outside_the_current_folder_are_the_model_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    log = json.loads(doctor(DEAD_PARAM, "--format", "sarif").stdout)
    [hit] = log["runs"][0]["results"]
    assert hit["level"] == "warning" and hit["ruleId"] == "dead-param"
    assert hit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dead_param_h0.py"
    assert hit["locations"][0]["physicalLocation"]["region"]["startLine"] == 17


def test_sarif_of_a_finding_without_a_line_and_of_none() -> None:
    examined = doctoring.examine(trace_file(str(GOOD)), run_experiments=False)
    lost = Finding(Severity.WARNING, FindingCode.BATCH_AXIS, "the output has no batch axis", None, "s", "w", "f")
    trace = dataclasses.replace(examined.trace, findings=(lost,))
    log = findings.sarif(findings.report(examined, trace=trace))
    [hit] = log["runs"][0]["results"]
    assert hit["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "vae.py", "uriBaseId": "%SRCROOT%"}}}]
    assert hit["message"]["text"] == "the output has no batch axis\nseen: s"
    clean = findings.sarif(findings.report(examined, trace=dataclasses.replace(trace, findings=())))
    assert clean["runs"][0]["results"] == [] and clean["runs"][0]["tool"]["driver"]["rules"] == []


def test_select_and_ignore_choose_findings_and_the_exit_status(tmp_path: Path) -> None:
    model = tmp_path / "two_bugs.py"
    model.write_text(TWO_BUGS, encoding="utf-8")
    every = doctor(model, "--concise")
    assert every.exit_code == 1
    assert {h["code"] for h in heads(every.stdout)} == {"dead-param", "dead-module"}
    only = doctor(model, "--concise", "--select", "dead-param")
    assert [(h["code"], h["line"]) for h in heads(only.stdout)] == [("dead-param", "8")] and only.exit_code == 1
    assert only.stdout.splitlines()[-1].startswith("1 warning: checked ")
    neither = doctor(model, "--format", "json", "--ignore", "dead-param,dead-module")
    assert neither.exit_code == 0, neither.stdout
    doc = json.loads(neither.stdout)
    assert doc["findings"] == [] and doc["checked"]["not_selected"] == 2
    assert doc["checked"]["ignore"] == ["dead-module", "dead-param"]  # in the order of the codes


def test_a_failed_forward_pass_is_reported_under_any_select() -> None:
    result = doctor(CLASH, "--concise", "--select", "dead-param")
    assert result.exit_code == 1
    assert [h["code"] for h in heads(result.stdout)] == ["shape-clash"]
    assert "the 10 calls that ran before the forward pass failed" in result.stdout
    ignored = doctor(CLASH, "--concise", "--ignore", "shape-clash")
    assert ignored.exit_code == 0 and heads(ignored.stdout) == []


def test_an_unknown_code_is_a_usage_mistake_naming_the_codes() -> None:
    result = doctor(DEAD_PARAM, "--select", "dead-parm,batch-time")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--select dead-parm: no such finding code" in result.stderr
    assert all(c.value in result.stderr for c in FindingCode)
    assert doctor(DEAD_PARAM, "--ignore", "nope").exit_code == 2
    assert doctor(DEAD_PARAM, "--format", "json", "--concise").exit_code == 2


@pytest.mark.parametrize(
    "marker", ["# archviz: ignore[dead-param]", "# archviz: ignore", "# archviz:ignore[batch-time, Dead-Param]"]
)
def test_a_marker_on_the_line_suppresses_the_finding(tmp_path: Path, marker: str) -> None:
    model = copy(DEAD_PARAM, tmp_path, 17, marker)
    result = doctor(model)
    assert result.exit_code == 0, result.stdout
    assert heads(result.stdout) == [] and result.stdout.startswith("no findings: checked ")
    assert "note: 1 finding suppressed by `# archviz: ignore`" in result.stdout.splitlines()
    doc = json.loads(doctor(model, "--format", "json").stdout)
    assert doc["findings"] == [] and doc["checked"]["suppressed"] == 1


@pytest.mark.parametrize("marker", ["# archviz: ignore[batch-time]", "# archviz: ignore[dead-parm]"])
def test_a_marker_for_another_code_suppresses_nothing(tmp_path: Path, marker: str) -> None:
    model = copy(DEAD_PARAM, tmp_path, 17, marker)
    result = doctor(model, "--concise")
    assert result.exit_code == 1
    assert [h["code"] for h in heads(result.stdout)] == ["dead-param"]
    typo = "note: dead_param_h0.py:17: `# archviz: ignore[dead-parm]` names no finding code; it suppresses nothing"
    assert (typo in result.stdout.splitlines()) is ("parm" in marker)


def test_concise_is_one_line_per_finding_then_the_summary() -> None:
    full, short = doctor(CLASH), doctor(CLASH, "--concise")
    assert short.exit_code == full.exit_code == 1
    lines = short.stdout.splitlines()
    assert lines[:-1] == [ln for ln in full.stdout.splitlines() if HEAD.match(ln)]
    assert lines[0] == (
        "shape_h0_seqfirst_cell.py:22: error [shape-clash] add failed: dim 0 of [3, 20] is 3 = B (x.size(1)), "
        "dim 0 of [5, 20] is 5 = T (x.size(0))"
    )
    assert lines[-1].startswith("1 error: checked the 10 calls that ran before the forward pass failed against ")


def test_no_findings_says_what_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    text, as_json = doctor(GOOD), doctor(GOOD, "--format", "json")
    assert text.exit_code == as_json.exit_code == 0
    m = re.match(
        r"no findings: checked (\d+) calls against (\d+) rules \((.+)\); sizes traced back to (\d+) input axis\n",
        text.stdout,
    )
    assert m, text.stdout
    checked = json.loads(as_json.stdout)["checked"]
    rules = suppress.rule_names()
    assert int(m[1]) == checked["calls"] > 0 and int(m[4]) == checked["input_axes"] == 1
    assert int(m[2]) == len(rules) == len(checked["rules"]) and m[3] == ", ".join(r.replace("_", " ") for r in rules)
    # the list is the registered rules: one more rule is one more name
    extra = types.SimpleNamespace(RULES=(lambda ctx: [],))
    extra.RULES[0].__name__ = "looks_for_ghosts"
    monkeypatch.setattr(suppress, "_MODULES", (*suppress._MODULES, extra))
    more = doctor(GOOD).stdout
    assert f"against {len(rules) + 1} rules (" in more and "looks for ghosts); sizes" in more


def test_unloadable_models_exit_3_and_usage_mistakes_2(tmp_path: Path) -> None:
    (tmp_path / "syntax.py").write_text("import torch\ndef f(:\n", encoding="utf-8")
    (tmp_path / "nothing.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "no_inputs.py").write_text(
        "from torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n", encoding="utf-8"
    )
    for name, said in [("syntax.py", "syntax error"), ("nothing.py", "no model found"), ("no_inputs.py", "no inputs")]:
        result = doctor(tmp_path / name, "--format", "sarif")
        assert result.exit_code == 3 and result.stdout == "", (name, result.stderr)
        assert said in result.stderr
    assert doctor(tmp_path / "missing.py").exit_code == 2
    assert doctor(tmp_path / "no_inputs.py", "--input", "3xq").exit_code == 2  # the option is at fault
    assert doctor(tmp_path / "no_inputs.py", "--model", "Nope").exit_code == 2
    assert doctor(tmp_path / "no_inputs.py", "--input", "2x3").exit_code == 0  # given inputs, it loads


def test_help_documents_the_exit_statuses() -> None:
    shown = CliRunner().invoke(main, ["doctor", "--help"]).stdout
    for status in (
        "0  nothing found",
        "1  a warning or an error",
        "2  a usage mistake",
        "3  the model could not be loaded",
    ):
        assert status in shown
    assert "--select CODES" in shown and "[text|json|sarif]" in shown and "--concise" in shown


def test_choose_is_one_pure_decision() -> None:
    src = Source("m.py", 3, "forward", "y = self.fc(x)  # archviz: ignore[dead-result]")
    dead = Finding(Severity.WARNING, FindingCode.DEAD_RESULT, "t", src, "s", "w", "f")
    failed = Finding(Severity.ERROR, FindingCode.FORWARD_FAILED, "t", None, "s", "w", "f")
    note = Finding(
        Severity.NOTE, FindingCode.GATE_SATURATION, "t", dataclasses.replace(src, code="h = c"), "s", "w", "f"
    )
    chosen = suppress.choose((failed, dead, note), select={FindingCode.GATE_SATURATION})
    assert chosen.kept == (failed, note) and chosen.unselected == (dead,) and chosen.suppressed == ()
    chosen = suppress.choose((failed, dead, note), ignore={FindingCode.FORWARD_FAILED})
    assert chosen.kept == (note,) and chosen.suppressed == (dead,) and chosen.unselected == (failed,)
    long_line = {("m.py", 3): "y = self.fc(x)" + " " * 200 + "# archviz: ignore"}  # beyond the record's 160 characters
    assert (
        suppress.choose((dataclasses.replace(dead, source=dataclasses.replace(src, code="y")),), lines=long_line).kept
        == ()
    )
    assert suppress.marker("x = 1  # archviz: ignore[A, b]") == {"a", "b"} and suppress.marker("x  # noqa") is None


def test_every_code_has_a_description() -> None:
    assert set(suppress.CODE_TEXT) == set(FindingCode)
    assert all(short and full.endswith(".") for short, full in suppress.CODE_TEXT.values())


def test_json_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / GOOD.name)
    once, twice = doctor(tmp_path / GOOD.name, "--format", "json"), doctor(tmp_path / GOOD.name, "--format", "json")
    assert once.stdout_bytes == twice.stdout_bytes and once.stdout_bytes.decode("utf-8")


README = (CORPUS.parent.parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_readme_shows_real_ci_output() -> None:
    """Each ```console `$ archviz doctor FILE …` block of the README is what the command prints, `…` standing
    for any text (the list of rules grows as rules are added)."""
    blocks = re.findall(r"```console\n\$ archviz doctor (\S+)([^\n]*)\n(.*?)```", README, re.S)
    assert len(blocks) >= 2
    for name, args, shown in blocks:
        result = doctor(next(CORPUS.glob(f"*/{name}")), *args.split())
        pattern = ".*?".join(re.escape(part) for part in shown.split("…"))
        assert re.match(pattern, result.stdout), (name, result.stdout)


def test_the_readme_lists_every_code() -> None:
    for code, (short, _) in suppress.CODE_TEXT.items():
        assert f"| `{code.value}` | {short} |" in README
