"""Layout is budgeted, never a failure by default: views are estimated before Graphviz runs and
measured after, and whatever is over budget is replaced by the best smaller view."""

from __future__ import annotations

import re

import torch
from click.testing import CliRunner
from conftest import ROOT
from torch import nn

from archviz import analysis, app, capture, view
from archviz.cli import main
from archviz.draw import dot
from archviz.view.fit import Budget, fit, ladder, over, too_big


def _thousand_blocks() -> nn.Module:
    return nn.Sequential(*[nn.Sequential(*[nn.Linear(8, 8) for _ in range(10)]) for _ in range(1000)])


def test_a_view_over_budget_falls_back_to_the_smallest_it_found() -> None:
    trace = analysis.annotate(capture.trace_model(_thousand_blocks(), (torch.randn(2, 8),)))
    folded = fit(trace, view.View())
    assert folded.note is None and len(folded.graph.nodes) < 10  # 1000 × 10 Linear folded twice
    unrolled = fit(trace, view.View(unroll=True))
    assert unrolled.note and "10002 boxes" in unrolled.note and "rolled" in unrolled.note
    assert len(unrolled.graph.nodes) < 10
    tiny = fit(trace, view.View(unroll=True), Budget(max_nodes=2))
    assert tiny.note and "even the smallest view" in tiny.note
    assert len(tiny.graph.nodes) == 3  # input, the whole model as one box, output: never the 10,002-box original


def test_the_ladder_rolls_up_first_then_collapses_depth() -> None:
    trace = analysis.annotate(capture.trace_model(_thousand_blocks(), (torch.randn(2, 8),)))
    steps = [how for _, how in ladder(trace, view.View(unroll=True))]
    assert steps[0] == "loops and repeated layers rolled"
    assert steps[1:] == ["--depth 1, loops rolled", "--depth 0, loops rolled"]


def test_edges_spanning_many_ranks_count_against_the_budget() -> None:
    g = view.Graph(
        "t", view.View().direction,
        tuple(view.Node(f"n{i}", "op", "x", "") for i in range(30)),
        (*tuple(view.Edge(f"n{i}", f"n{i + 1}", "") for i in range(29)), view.Edge("n0", "n29", "")), (),
    )  # fmt: skip
    assert over(g, Budget()) is None
    assert "ranks" in (over(g, Budget(max_span=40)) or "")


def test_pictures_too_big_to_read_are_measured() -> None:
    assert too_big(1000, 1000, Budget()) is None
    assert "megapixels" in (too_big(4000, 20000, Budget()) or "")
    assert "too wide" in (too_big(4000, 300, Budget()) or "")


def test_large_views_carry_graphviz_effort_limits() -> None:
    trace = analysis.annotate(capture.trace_model(_thousand_blocks()[:30], (torch.randn(2, 8),)))
    small = dot.to_dot(view.build(trace))
    large = dot.to_dot(view.build(trace, view.View(unroll=True)))
    assert "mclimit" not in small and "mclimit=0.3, nslimit=2" in large


def test_a_picture_too_big_is_drawn_again_smaller_and_the_user_is_told(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app.pipeline, "Budget", lambda max_nodes: Budget(max_nodes=max_nodes, max_pixels=2e5))
    result = CliRunner().invoke(main, ["render", str(ROOT / "examples" / "gru.py"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert "megapixels" in result.stderr and "drawn with --depth" in result.stderr
    svg = (tmp_path / "gru.svg").read_text(encoding="utf-8")
    w, h = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())  # type: ignore[union-attr]
    assert w * h * (96 / 72) ** 2 <= 2e5
