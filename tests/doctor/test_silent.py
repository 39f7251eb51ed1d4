"""The silent-bug corpus: shape bugs that raise no error, each with its corrected twin.

`silent/manifest.json` lists one entry per bug: `bad/x.py` (the buggy model), `twin` = `good/x.py`
(the same model with the bug fixed), the bug's `code`, the `line` that makes the wrong size or mix
(it carries the trailing comment `# doctor: <code>`), the `axes` involved, the public bug report it
is modelled on (`source`), `why` it is wrong, and `output_differs`: whether the bad model's output
shape differs from its twin's.

These tests check the corpus itself, not the doctor: the manifest against the files, the markers,
that each twin is a small edit of its bug, that both load through archviz's own loader and run, and
that the bug changes the result (the output shape where the manifest says so, the values otherwise).
Whether `archviz doctor` finds each bug is asserted elsewhere.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
import warnings
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import torch

SILENT = Path(__file__).resolve().parent / "silent"
ENTRIES: list[dict] = json.loads((SILENT / "manifest.json").read_text(encoding="utf-8"))
MAIN_CODES = {
    "axes-scrambled",
    "batch-axis",
    "broadcast",
    "softmax-axis",
    "feature-axis",
    "layout",
    "padding-read",
    "positions",
    "shared-gate",
    "bidirectional",
    "batch-mix",
    "probabilities",
}
CODES = MAIN_CODES | {"dead-result", "dead-module", "dead-param"}
SHAPE_CHANGING = {"batch-axis", "broadcast"}  # the only codes whose bug may change the output's shape
KEYS = {"file", "twin", "code", "line", "axes", "output_differs", "source", "why"}
MARKER = re.compile(r"#\s*doctor:")
TRAILING_MARKER = re.compile(r"\S.*#\s*doctor:\s*([a-z-]+)\s*$")
MAX_CHANGED_LINES = 3


def ids(entries: list[dict]) -> list[str]:
    return [Path(e["file"]).stem for e in entries]


def marked_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of every line that mentions a `# doctor:` marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, 1) if MARKER.search(line)]


def changed_lines(a: Path, b: Path) -> int:
    """How many lines differ between two files (a replaced line counts once)."""
    left = a.read_text(encoding="utf-8").splitlines()
    right = b.read_text(encoding="utf-8").splitlines()
    ops = difflib.SequenceMatcher(a=left, b=right, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


@cache
def output(rel: str) -> torch.Tensor:
    """The forward pass of a corpus file, loaded the way the CLI loads it (once per file)."""
    from archviz.load import loader, userfile

    path = SILENT / rel
    with userfile.user_path(str(path)):
        found = loader.load(str(path))
    assert isinstance(found, loader.Loaded), f"{rel}: no model found"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. mse_loss's broadcasting warning: a warning is not an error
        out = found.model(*found.args, **found.kwargs)
    assert isinstance(out, torch.Tensor), f"{rel}: the model returns {type(out).__name__}"
    return out


def test_the_manifest_lists_every_file_once() -> None:
    assert all(set(e) - {"note"} == KEYS for e in ENTRIES), [e["file"] for e in ENTRIES if set(e) - {"note"} != KEYS]
    bad = [e["file"] for e in ENTRIES]
    twins = [e["twin"] for e in ENTRIES]
    assert len(bad) == len(set(bad)) and len(twins) == len(set(twins))
    assert sorted(f"{p.parent.name}/{p.name}" for p in (SILENT / "bad").glob("*.py")) == sorted(bad)
    assert sorted(f"{p.parent.name}/{p.name}" for p in (SILENT / "good").glob("*.py")) == sorted(twins)
    assert sorted(p.name for p in SILENT.glob("*/*.py")) == sorted(Path(f).name for f in bad + twins)


def test_the_corpus_is_large_enough_and_covers_the_classes() -> None:
    counts = Counter(e["code"] for e in ENTRIES)
    assert set(counts) <= CODES, set(counts) - CODES
    assert len(ENTRIES) >= 44
    assert len(counts) >= 12
    assert all(counts[code] >= 3 for code in MAIN_CODES), counts


def test_pytest_never_collects_a_corpus_file() -> None:
    for path in SILENT.rglob("*.py"):
        assert not fnmatch.fnmatch(path.name, "test_*.py") and not fnmatch.fnmatch(path.name, "*_test.py")
        assert path.name not in {"conftest.py", "__init__.py"}


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_each_entry_is_described(entry: dict) -> None:
    assert entry["file"].startswith("bad/") and entry["twin"] == "good/" + entry["file"].removeprefix("bad/")
    assert Path(entry["file"]).stem.startswith(entry["code"] + "_")
    assert isinstance(entry["output_differs"], bool)
    for key in ("axes", "source", "why"):
        assert isinstance(entry[key], str) and entry[key].strip(), key


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_the_bad_file_has_exactly_the_manifests_marker_and_its_twin_none(entry: dict) -> None:
    marks = marked_lines(SILENT / entry["file"])
    assert len(marks) == 1, f"{entry['file']}: {len(marks)} markers"
    line_no, line = marks[0]
    found = TRAILING_MARKER.match(line.strip())
    assert found, f"{entry['file']}:{line_no}: the marker must trail a line of code"
    assert (line_no, found.group(1)) == (entry["line"], entry["code"])
    assert marked_lines(SILENT / entry["twin"]) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_the_twin_is_a_small_edit_of_the_bug(entry: dict) -> None:
    n = changed_lines(SILENT / entry["twin"], SILENT / entry["file"])
    assert 1 <= n <= MAX_CHANGED_LINES, f"{entry['file']}: {n} lines differ from its twin"


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_both_run_and_the_bug_changes_the_result(entry: dict) -> None:
    good, bad = output(entry["twin"]), output(entry["file"])
    differs = good.shape != bad.shape
    assert differs == entry["output_differs"], f"{entry['file']}: {list(good.shape)} vs {list(bad.shape)}"
    if differs:
        assert entry["code"] in SHAPE_CHANGING, f"{entry['file']}: a {entry['code']} bug must keep the output shape"
    else:
        assert not torch.allclose(good, bad), f"{entry['file']}: the bug does not change the output"
