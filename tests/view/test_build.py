"""Recurrence is rolled truthfully, views collapse as asked, and edges carry real shapes."""

from __future__ import annotations

import pytest
import torch
from conftest import trace_example
from torch import nn

from archviz import capture, view


def _in_loop(g: view.Graph, loop_id: str) -> list[view.Node]:
    parents = {c.id: c.parent for c in g.clusters}
    out = []
    for n in g.nodes:
        cur = n.cluster
        while cur is not None and cur != loop_id:
            cur = parents.get(cur)
        if cur == loop_id:
            out.append(n)
    return out


def test_custom_gru_is_one_cell_rolled_five_times() -> None:
    g = view.build(trace_example("gru"))
    assert view.lint(g) == []
    assert len(g.loops) == 1 and g.loops[0].count == 5
    loop_clusters = [c for c in g.clusters if c.kind == "loop"]
    assert [c.label for c in loop_clusters] == ["loop ×5"]
    titles = [n.title for n in g.nodes]
    assert titles.count("cells.0.update_gate") == 1 and titles.count("cells.1.update_gate") == 1
    # z and r are two different sigmoids of one step: they must stay two nodes per cell
    inside = _in_loop(g, loop_clusters[0].id)
    cell0 = [
        n for n in inside if n.cluster == "cl-" + next(c.id for c in trace_example("gru").calls if c.name == "cells.0")
    ]
    assert [n.title for n in cell0].count("sigmoid") == 2
    back = [e for e in g.edges if e.back]
    assert back and all(e.label == "[3, 20] ×5" for e in back)
    assert g.loops[0].state == ((3, 20),)


def test_unrolled_view_draws_every_step() -> None:
    trace = trace_example("gru")
    rolled = view.build(trace)
    unrolled = view.build(trace, view.View(unroll=True))
    assert view.lint(unrolled) == []
    count = lambda g: sum(n.title == "cells.0.update_gate" for n in g.nodes)  # noqa: E731
    assert (count(rolled), count(unrolled)) == (1, 5)
    assert not any(e.back for e in unrolled.edges) and not unrolled.loops


def test_loop_count_follows_the_input_length() -> None:
    from examples_gru import build  # type: ignore[import-not-found]

    model, x = build(7)
    g = view.build(capture.trace_model(model, (x,)))
    assert [lp.count for lp in g.loops] == [7]


def test_mogrifier_rounds_are_a_chain_not_a_loop() -> None:
    trace = trace_example("mogrifier")
    g = view.build(trace)
    assert [lp.count for lp in g.loops] == [5]
    titles = [n.title for n in g.nodes]
    for name in ("cell.q.0", "cell.r.0", "cell.q.1", "cell.r.1", "cell.q.2", "cell.ih", "cell.hh"):
        assert titles.count(name) == 1
    assert titles.count("sigmoid") == 5 + 3  # one per round, then i, f, o


def test_independent_repeats_are_not_a_loop() -> None:
    class Siamese(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Linear(4, 4)

        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return self.enc(a) - self.enc(b)

    g = view.build(capture.trace_model(Siamese(), (torch.randn(2, 4), torch.randn(2, 4))))
    assert not g.loops
    assert [n.title for n in g.nodes].count("enc") == 2


def test_depth_collapses_modules_and_keeps_their_shapes() -> None:
    g = view.build(trace_example("gru"), view.View(depth=1))
    assert view.lint(g) == []
    titles = {n.title: n for n in g.nodes}
    assert "cells.0.update_gate" not in titles
    cell = titles["cells.0"]
    assert cell.collapsed and cell.inputs == ("[3, 10]", "[3, 20]") and cell.outputs == ("[3, 20]",)
    assert any(e.back and e.dst == cell.id for e in g.edges)


def test_edges_carry_the_shapes_of_the_tensors_they_stand_for() -> None:
    trace = trace_example("bilstm_classifier")
    g = view.build(trace)
    by_title = {n.title: n.id for n in g.nodes}
    edge = next(e for e in g.edges if e.src == by_title["pack_padded_sequence"] and e.dst == by_title["lstm"])
    assert "data [31, 16]" in edge.label and "batch_sizes [12] int64" in edge.label
    into_classifier = next(e for e in g.edges if e.dst == by_title["classifier"])
    assert into_classifier.label == "via dropout\n[4, 64]"  # the eval-mode Dropout is drawn as this edge
    assert all(n.title != "numel" for n in g.nodes)  # bookkeeping folded by default
    everything = view.build(trace, view.View(ops="all"))
    assert view.lint(everything) == []
    assert any(n.title == "numel" for n in everything.nodes)
    assert any(n.title == "sort" for n in everything.nodes)


@pytest.mark.parametrize("name", ["gru", "mogrifier", "bilstm_classifier"])
def test_every_example_graph_is_consistent(name: str) -> None:
    trace = trace_example(name)
    for chosen in (view.View(), view.View(unroll=True), view.View(depth=1), view.View(ops="all")):
        g = view.build(trace, chosen)
        assert view.lint(g) == []
        assert sum(n.kind == "input" for n in g.nodes) == len(trace.inputs)
        outs = [n for n in g.nodes if n.kind == "output"]
        assert len(outs) == len(trace.outputs)
        assert all(any(e.dst == o.id for e in g.edges) for o in outs)
