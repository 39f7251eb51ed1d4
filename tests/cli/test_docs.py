"""The diagrams committed under docs/ are what archviz draws today (regenerate with --update-golden)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT

from archviz import cli
from archviz.record import Trace

CASES = [("gru", None), ("gru", "build_builtin"), ("mogrifier", None), ("bilstm_classifier", None)]
DOCS = ROOT / "docs"


@pytest.mark.parametrize(("name", "model"), CASES)
def test_committed_docs_diagrams_are_fresh(name: str, model: str | None, update_golden: bool, tmp_path: Path) -> None:
    args = ["render", str(EXAMPLES / f"{name}.py"), "-o", str(tmp_path), "--format", "svg,dot,json"]
    result = CliRunner().invoke(cli.main, args + (["--model", model] if model else []))
    assert result.exit_code == 0, result.output
    fresh = sorted(tmp_path.glob("*.dot"))
    assert fresh
    stem = f"{name}.{model}" if model else name
    if update_golden:
        for old in DOCS.glob(f"{stem}.*"):
            if not model and old.name.startswith(f"{name}.build_"):
                continue
            old.unlink()
        for f in fresh:
            shutil.copy(f, DOCS / f.name)
            shutil.copy(f.with_suffix(".svg"), DOCS / f.with_suffix(".svg").name)
    for f in fresh:
        golden = DOCS / f.name
        assert golden.exists(), f"{golden} missing: run pytest --update-golden"
        assert golden.read_text(encoding="utf-8") == f.read_text(encoding="utf-8"), (
            f"{golden} is stale: run pytest --update-golden"
        )
    # what CI and the pre-commit hook run: `archviz render --check` against the committed SVGs and DOT files
    check = ["render", str(EXAMPLES / f"{name}.py"), "-o", str(DOCS), "--format", "svg,dot", "--check"]
    checked = CliRunner().invoke(cli.main, check + (["--model", model] if model else []))
    assert checked.exit_code == 0, checked.output + checked.stderr
    # meaning, not just bytes: the real output shape is drawn in the committed main diagram
    trace = Trace.from_json((tmp_path / f"{stem}.json").read_text(encoding="utf-8"))
    out_shape = "[" + ", ".join(map(str, trace.outputs[0].shape)) + "]"
    assert out_shape in (DOCS / f"{stem}.svg").read_text(encoding="utf-8")
    if name in ("gru", "mogrifier") and model is None:
        assert "loop ×5" in (DOCS / f"{stem}.dot").read_text(encoding="utf-8")
