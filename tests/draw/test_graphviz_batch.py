"""Drill-in diagrams are laid out each by its own Graphviz process, a few at once: the very bytes of
one `render` each, the same on every run (Graphviz 2.43 running several graphs in one process reorders
a later graph's clusters by chance: the bilstm overview's legend moved in 5 of 200 runs)."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from archviz.app import Options, trace_file, with_gates
from archviz.draw import drill, graphviz
from archviz.errors import RenderError


@pytest.mark.parametrize("name", ["bilstm_classifier", "gru", "mogrifier"])
def test_every_drill_in_is_laid_out_as_alone(name: str) -> None:
    trace = with_gates(trace_file(EXAMPLES / f"{name}.py").trace, Options(gates="all"))
    dots = [d.dot for d in drill.drill_ins(trace, name)]
    assert dots
    together = graphviz.render_svgs(dots)
    alone = [graphviz.render(d, "svg").decode("utf-8") for d in dots]
    assert together == alone
    assert all(a.startswith("<?xml") and a.rstrip().endswith("</svg>") for a in together)


def test_many_layouts_give_the_same_bytes_every_time() -> None:
    trace = with_gates(trace_file(EXAMPLES / "bilstm_classifier.py").trace, Options(gates="all"))
    dots = [d.dot for d in drill.drill_ins(trace, "bilstm_classifier")] * 4  # 20 graphs, overview last
    first = graphviz.render_svgs(dots)
    assert first[:5] == first[5:10] == first[-5:]
    for _ in range(10):
        assert graphviz.render_svgs(dots) == first


def test_layouts_started_early_give_the_same_bytes_and_their_errors_when_waited_for() -> None:
    """The drill-ins start before the main diagram and are waited for after it: the same SVGs as alone;
    a graph Graphviz rejects fails where its SVGs are asked for, naming Graphviz's message."""
    trace = with_gates(trace_file(EXAMPLES / "gru.py").trace, Options(gates="all"))
    dots = [d.dot for d in drill.drill_ins(trace, "gru")]
    wait = graphviz.start_svgs(dots)
    main = graphviz.render(dots[0], "svg").decode("utf-8")  # other work meanwhile
    assert wait() == [main] + [graphviz.render(d, "svg").decode("utf-8") for d in dots[1:]]
    broken = graphviz.start_svgs([dots[0], "digraph { a -> }"])
    with pytest.raises(RenderError, match="failed with status"):
        broken()
    assert graphviz.start_svgs([])() == []
