"""The diagrams committed under docs/ are what archviz draws today (regenerate with --update-golden)."""

from __future__ import annotations

import pytest

from archviz import cli, dot, graph
from conftest import EXAMPLES, ROOT

CASES = [("gru", None), ("gru", "build_builtin"), ("mogrifier", None), ("bilstm_classifier", None)]


@pytest.mark.parametrize(("name", "model"), CASES)
def test_committed_docs_diagram_is_fresh(name: str, model: str | None, update_golden: bool) -> None:
    target = cli.trace_file(str(EXAMPLES / f"{name}.py"), model=model)
    text = dot.to_dot(graph.build(target.trace))
    golden = ROOT / "docs" / f"{target.stem}.dot"
    if update_golden:
        golden.write_text(text, encoding="utf-8")
        (ROOT / "docs" / f"{target.stem}.svg").write_bytes(dot.render(text, "svg"))
    assert golden.read_text(encoding="utf-8") == text, f"{golden} is stale: run pytest --update-golden"
    svg = (ROOT / "docs" / f"{target.stem}.svg").read_text(encoding="utf-8")
    # meaning, not just bytes: the real output shape is drawn in both files
    out_shape = "[" + ", ".join(map(str, target.trace.outputs[0].shape)) + "]"
    assert out_shape in text and out_shape in svg
    if name in ("gru", "mogrifier") and model is None:
        assert "loop ×5" in text and "loop ×5" in svg
