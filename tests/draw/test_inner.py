"""What the report can open: the insides precomputed for closed boxes, and the folds' members.

A stack of six identical blocks, drawn with --depth 1: each block is a closed box in a fold frame ×6.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archviz
from archviz.analysis.loops import rolling_for
from archviz.draw import inner
from archviz.draw.html.frames import folds, frame_panels
from archviz.kinds import CallKind, ClusterKind
from archviz.record import Trace, call_number
from archviz.view import View, build


class Block(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.ff(self.norm(x))


class Stack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.layers = nn.ModuleList(Block(16) for _ in range(6))
        self.head = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        for layer in self.layers:
            h = layer(h)
        return self.head(h)


@pytest.fixture(scope="module")
def record() -> Trace:
    torch.manual_seed(0)
    return archviz.trace(Stack().eval(), torch.randn(2, 5, 8))


def main(record: Trace) -> tuple:
    view = View(depth=1)
    return build(record, view, rolling_for(record)), view


def names(record: Trace, ids: list[str]) -> list[str]:
    return [record.call(c).name for c in ids]


def test_every_closed_box_of_the_main_diagram_gets_its_inside(record):
    g, view = main(record)
    closed = inner.openable(record, g)
    assert sorted(names(record, [c for _, c in closed])) == ["head", "layers.0"]  # the fold draws layers.0
    made = inner.insides(record, g, view)
    assert [i.key for i in made] == [f"v{n + 1}" for n in range(len(made))]
    assert {record.call(i.call).name for i in made} == {"head", "layers.0"}
    for i in made:
        assert i.parent == "" and (i.element, i.call) in closed
        # the inside draws the module's own calls, and only them
        inside = {c for c, _ in i.graph.places}
        subtree = {c.id for c in record.calls if c.name.startswith(record.call(i.call).name + ".")}
        assert inside - {i.call} <= subtree and inside & subtree
        assert "legend" not in i.dot  # the main diagram has the legend


def test_insides_are_the_same_bytes_every_time(record):
    g, view = main(record)
    assert [i.dot for i in inner.insides(record, g, view)] == [i.dot for i in inner.insides(record, g, view)]


def test_an_inside_is_the_deepest_view_within_its_box_budget(record, monkeypatch):
    g, view = main(record)
    layer = next(c for _, c in inner.openable(record, g) if record.call(c).name == "layers.0")
    whole = inner.inside(record, layer, view)
    assert any(n.title == "layers.0.ff.1" for n in whole.nodes)  # small: drawn to the bottom
    monkeypatch.setattr(inner, "INNER_MAX_BOXES", 4)
    shallow = inner.inside(record, layer, view)
    titles = {n.title for n in shallow.nodes}
    assert "layers.0.ff" in titles and "layers.0.ff.1" not in titles  # one level below the module, no less
    # and the closed `ff` inside it opens in turn, breadth first
    made = inner.insides(record, g, view)
    ff = [i for i in made if record.call(i.call).name == "layers.0.ff"]
    assert len(ff) == 1 and made.index(ff[0]) > 1 and ff[0].parent != ""


def test_the_box_budget_leaves_out_what_does_not_fit(record, monkeypatch):
    g, view = main(record)
    every = inner.insides(record, g, view)
    sizes = {record.call(i.call).name: len(i.graph.nodes) for i in every}
    monkeypatch.setattr(inner, "INNER_BOXES", sizes["head"])  # room for the head only
    kept = inner.insides(record, g, view)
    assert [record.call(i.call).name for i in kept] == ["head"]
    assert sum(len(i.graph.nodes) for i in kept) <= inner.INNER_BOXES


def test_fold_members_and_the_calls_each_ran(record):
    g, _ = main(record)
    (fold,) = folds(record, g)
    assert fold["names"] == [f"layers.{k}" for k in range(6)]
    for k, (first, last) in enumerate(fold["spans"]):
        inside = [c for c in record.calls if first <= call_number(c.id) <= last]
        modules = {c.name for c in inside if c.kind == CallKind.MODULE}
        assert f"layers.{k}" in modules and all(m.startswith(f"layers.{k}") for m in modules)
    ends = [s for span in fold["spans"] for s in span]
    assert ends == sorted(ends)  # members in order, never overlapping


def test_frame_panels_list_members_and_the_box_drawn(record):
    g, _ = main(record)
    (frame,) = [c for c in g.clusters if c.kind == ClusterKind.REPEAT]
    panel = frame_panels(record, g)[frame.id]
    assert panel["members"] == [f"layers.{k}" for k in range(6)]
    assert panel["title"].startswith("layers.0–5 ×6") and panel["type"] == "repeated layers ×6"
    assert record.call(panel["box"]).name == "layers.0"
    assert [t["shape"] for t in panel["inputs"]] == ["[2, 5, 16]"] == [t["shape"] for t in panel["outputs"]]
