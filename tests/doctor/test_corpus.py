"""The corpora `archviz doctor` is tested on: correct model files and buggy variants with one bug each.

`corpus/manifest.json` lists every file: `{"file": "good/x.py"}` for a correct model, and
`{"file": "bad/y.py", "code": ..., "line": N, "why": ...}` for a buggy one, whose responsible line
carries the trailing comment `# doctor: <code>`. These tests check the manifest against the files,
that every model loads through archviz's own loader and runs (the `shape-clash` variants must fail),
and that `archviz render` draws each good model (exit 0) and each failing one (exit 1).

The corpus files are model files, not tests: their names never match pytest's `test_*.py` or
`*_test.py`, so pytest does not collect them. (A `conftest.py` here would not do: the suite's
modules run `from conftest import ...`, and a second top-level `conftest` module replaces the
root one for every test directory collected after this one.)
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from archviz.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
CODES = {
    "shape-clash",
    "batch-time",
    "padding-read",
    "probabilities",
    "dead-module",
    "dead-param",
    "dead-result",
    "batch-mix",
    "layout",
    "bidirectional",
}
MARKER = re.compile(r"#\s*doctor:")
TRAILING_MARKER = re.compile(r"\S.*#\s*doctor:\s*([a-z-]+)\s*$")

ENTRIES: list[dict] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
GOOD = [e for e in ENTRIES if "code" not in e]
BAD = [e for e in ENTRIES if "code" in e]
CLASHES = [e for e in BAD if e["code"] == "shape-clash"]


def ids(entries: list[dict]) -> list[str]:
    return [e["file"] for e in entries]


def marked_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of every line that mentions a `# doctor:` marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, 1) if MARKER.search(line)]


def load(path: Path):  # type: ignore[no-untyped-def]
    """The model and inputs of a corpus file, found the way the CLI finds them."""
    from archviz.load import loader, userfile

    with userfile.user_path(str(path)):
        found = loader.load(str(path))
    assert isinstance(found, loader.Loaded), f"{path.name}: no model found"
    return found


def test_the_manifest_lists_every_corpus_file_once() -> None:
    listed = [e["file"] for e in ENTRIES]
    assert len(listed) == len(set(listed))
    on_disk = sorted(f"{p.parent.name}/{p.name}" for p in CORPUS.glob("*/*.py"))
    assert sorted(listed) == on_disk
    assert all(e["file"].startswith("good/") for e in GOOD)
    assert all(e["file"].startswith("bad/") for e in BAD)


def test_the_corpora_are_large_enough_and_cover_every_code() -> None:
    assert len(GOOD) >= 22
    assert len(BAD) >= 16
    assert {e["code"] for e in BAD} == CODES
    assert len(CLASHES) >= 3


def test_pytest_never_collects_a_corpus_file() -> None:
    for path in CORPUS.rglob("*.py"):
        assert not fnmatch.fnmatch(path.name, "test_*.py") and not fnmatch.fnmatch(path.name, "*_test.py")
        assert path.name not in {"conftest.py", "__init__.py"}


@pytest.mark.parametrize("entry", BAD, ids=ids(BAD))
def test_a_bad_file_has_exactly_the_manifests_marker(entry: dict) -> None:
    assert entry["code"] in CODES
    assert isinstance(entry["why"], str) and entry["why"].strip()
    marks = marked_lines(CORPUS / entry["file"])
    assert len(marks) == 1, f"{entry['file']}: {len(marks)} markers"
    line_no, line = marks[0]
    found = TRAILING_MARKER.match(line.strip())
    assert found, f"{entry['file']}:{line_no}: the marker must trail a line of code"
    assert (line_no, found.group(1)) == (entry["line"], entry["code"])


@pytest.mark.parametrize("entry", GOOD, ids=ids(GOOD))
def test_a_good_file_has_no_marker(entry: dict) -> None:
    assert set(entry) == {"file"}
    assert marked_lines(CORPUS / entry["file"]) == []


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning")  # nn.TransformerEncoder's fast path
@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_the_forward_pass_runs_unless_the_bug_is_a_shape_clash(entry: dict) -> None:
    found = load(CORPUS / entry["file"])
    with torch.no_grad():
        if entry.get("code") == "shape-clash":
            with pytest.raises((RuntimeError, IndexError)):
                found.model(*found.args, **found.kwargs)
        else:
            found.model(*found.args, **found.kwargs)


@pytest.mark.parametrize("entry", GOOD + CLASHES, ids=ids(GOOD + CLASHES))
def test_archviz_render_draws_it(entry: dict, tmp_path: Path) -> None:
    path = CORPUS / entry["file"]
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path), "--format", "svg", "-q"])
    expected = 1 if entry.get("code") == "shape-clash" else 0
    assert result.exit_code == expected, result.output
    assert (tmp_path / f"{path.stem}.svg").is_file()
