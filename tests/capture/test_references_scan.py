"""The fast bytecode scan that lists what each function of a file refers to (`references._instructions`
on Python 3.11) finds exactly what `dis.get_instructions` finds, on real files: archviz's own, torch's
layers and the doctor's model fixtures."""

from __future__ import annotations

import glob
import importlib.util
import linecache
import os
import py_compile
from pathlib import Path

import pytest
import torch

from archviz.capture import references

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TORCH_NN = os.path.join(os.path.dirname(torch.__file__), "nn")
FILES = sorted(
    glob.glob(os.path.join(ROOT, "archviz", "**", "*.py"), recursive=True)
    + glob.glob(os.path.join(TORCH_NN, "modules", "*.py"))
    + [os.path.join(TORCH_NN, "functional.py")]
    + glob.glob(os.path.join(ROOT, "tests", "doctor", "**", "*.py"), recursive=True)
)


def _scan(path: str) -> list[references._Function]:
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), path, "exec", dont_inherit=True)
    found: list[references._Function] = []
    references._functions(code, found)
    return found


@pytest.mark.skipif(not references.RAW_SCAN, reason="the raw scan is for Python 3.11's bytecode only")
def test_the_raw_scan_finds_what_dis_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(FILES) > 300
    fast = {path: _scan(path) for path in FILES}
    monkeypatch.setattr(references, "RAW_SCAN", False)
    slow = {path: _scan(path) for path in FILES}
    differ = [path for path in FILES if fast[path] != slow[path]]
    assert differ == []


@pytest.mark.parametrize("raw", [True, False])
def test_what_a_function_refers_to(raw: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """`self.x` as its own, `x.y` as a reference, a global (the chain after it is not a reference),
    `self.x = ...` as a store, a string naming an attribute, a nested function."""
    if raw and not references.RAW_SCAN:
        pytest.skip("the raw scan is for Python 3.11's bytecode only")
    monkeypatch.setattr(references, "RAW_SCAN", raw)
    source = (
        "def forward(self, x):\n"
        "    self.seen = x.shape\n"
        "    y = F.linear(x, self.weight)\n"
        "    def inner(v):\n"
        "        return v.norm\n"
        "    return getattr(self, 'head')(inner(y))\n"
    )
    found: list[references._Function] = []
    references._functions(compile(source, "model.py", "exec", dont_inherit=True), found)
    by_name = {f.name: f for f in found}
    forward, inner = by_name["forward"], by_name["inner"]
    assert forward.own == {"weight": [3]} and forward.stores == {"seen": 2} and forward.globals == {"F", "getattr"}
    assert forward.refs == {"shape": [2], "head": [6]} and inner.refs == {"norm": [5]}


def test_a_files_compiled_form_gives_what_its_source_gives(tmp_path: Path) -> None:
    """The functions read from a pyc (as the interpreter compiled the file) are those compiling its
    source gives, keyed by the file's own name even when the pyc was compiled under another path."""
    differ = []
    for i, path in enumerate(FILES):
        pyc = str(tmp_path / f"{i}.pyc")
        py_compile.compile(path, cfile=pyc, dfile="/elsewhere/moved.py", doraise=True)
        st = os.stat(path)
        from_pyc = references._pyc_functions(path, pyc, int(st.st_mtime), st.st_size)
        with open(path, encoding="utf-8") as f:
            from_source = references._source_functions(path, f.read())
        if from_pyc != from_source or not all(fn.key[0] == path for fn in from_pyc):
            differ.append(path)
    assert differ == []


def test_only_a_current_pyc_is_read(tmp_path: Path) -> None:
    """A pyc is used while it matches its source's time and size; an edited source is compiled afresh."""
    src = tmp_path / "model.py"
    src.write_text("def forward(self, x):\n    return self.head(x)\n", encoding="utf-8")
    py_compile.compile(str(src), doraise=True)
    stamp = references._pyc_stamp(str(src))
    assert stamp is not None and stamp[0] == importlib.util.cache_from_source(str(src))
    assert [f.own for f in references.file_functions(str(src)) if f.name == "forward"] == [{"head": [2]}]
    src.write_text("def forward(self, x):\n    return self.tail(x) + 1\n", encoding="utf-8")
    os.utime(src, (os.stat(src).st_atime, os.stat(src).st_mtime + 5))
    linecache.checkcache(str(src))
    assert references._pyc_stamp(str(src)) is None
    assert [f.own for f in references.file_functions(str(src)) if f.name == "forward"] == [{"tail": [2]}]
