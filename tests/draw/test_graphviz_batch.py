"""Drill-in diagrams are laid out by one Graphviz process: the same pictures as one process each."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from archviz.app import Options, trace_file, with_gates
from archviz.draw import drill, graphviz


@pytest.mark.parametrize("name", ["bilstm_classifier", "gru", "mogrifier"])
def test_one_process_draws_every_drill_in_as_alone(name: str) -> None:
    trace = with_gates(trace_file(EXAMPLES / f"{name}.py").trace, Options(gates="all"))
    dots = [d.dot for d in drill.drill_ins(trace, name)]
    assert dots
    together = graphviz.render_svgs(dots)
    alone = [graphviz.render(d, "svg").decode("utf-8") for d in dots]
    assert len(together) == len(alone)
    for a, b in zip(together, alone, strict=True):
        assert a.startswith("<?xml") and a.rstrip().endswith("</svg>")
        # the same picture: size, header and every element; dot may list a later graph's clusters in
        # another order (its name table is shared by the graphs of one run), never move or change them
        assert a.splitlines()[:8] == b.splitlines()[:8]
        assert sorted(a.splitlines()) == sorted(b.splitlines())
