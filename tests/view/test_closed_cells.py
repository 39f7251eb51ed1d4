"""`--gates none` draws a hand-written cell as one box in every loop step, not only the first."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from archviz import app
from archviz.kinds import NodeKind
from archviz.view import View, build, lint
from archviz.view.graph import parse_gates


@pytest.mark.parametrize("name", ["gru", "mogrifier"])
def test_closed_custom_cells_are_one_box_per_loop(name: str) -> None:
    trace = app.with_gates(app.trace_file(EXAMPLES / f"{name}.py").trace, app.Options(gates="none"))
    mode, paths = parse_gates("none")
    g = build(trace, View(gates=mode, open_paths=paths))
    assert lint(g) == []  # every edge joins two boxes that are drawn
    cells = {c.call for c in trace.cells if c.custom}
    boxes = {n.id for n in g.nodes if n.kind == NodeKind.MODULE}
    assert cells <= boxes  # each cell a collapsed box
    # and nothing of a cell's inside (its later steps included) is drawn beside it
    inside = {c.id for c in trace.calls if c.parent in cells}
    assert not inside & {n.id for n in g.nodes}
    assert any(e.back for e in g.edges)  # the hidden state still loops back
