"""Loops are what the source repeats; every loop-carried value is a back edge; activations are not
gates; Mogrifier rounds, opened Cell classes and loops inside one forward are drawn as they run."""

from __future__ import annotations

import torch
from conftest import MODELS, calls_named, trace_file
from torch import nn

from archviz import analysis, capture, view
from archviz.analysis import loops
from archviz.kinds import NodeKind

# ---- loops --------------------------------------------------------------------------------------


class Twins(nn.Module):
    """The same op pattern on two different lines is straight-line code, not a loop."""

    def __init__(self) -> None:
        super().__init__()
        self.b, self.c, self.d, self.e = (nn.Parameter(torch.ones(3)) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = (x + self.b) * self.c
        z = (y + self.d) * self.e
        w = (z + self.b) * self.e
        return w


def test_straight_line_code_with_the_same_ops_is_not_a_loop() -> None:
    trace = capture.trace_model(Twins(), (torch.randn(2, 3),))
    assert loops.find_loops(trace, lambda c: not c.bookkeeping).loops == ()
    realistic = trace_file(MODELS / "straight_line_twins.py")
    found = loops.rolling_for(realistic, all_ops=False).loops
    assert [(realistic.call(lp.parent).name, lp.count) for lp in found] == [("looped", 3)]


def _back_edges(g: view.Graph) -> dict[tuple[str, str], str]:
    titles = {n.id: n.title for n in g.nodes}
    return {(titles.get(e.src, e.src), titles.get(e.dst, e.dst)): e.label for e in g.edges if e.back}


def test_every_loop_carried_value_is_a_back_edge() -> None:
    g = view.build(trace_file(MODELS / "running_sum.py"))
    back = _back_edges(g)
    assert ("add", "add") in back  # total = total + proj(x_t)
    assert ("maximum", "maximum") in back  # running max
    assert any(src == "add" and dst == "mul" for src, dst in back)  # ema feeds ema's decay product
    seq = view.build(trace_file(MODELS / "seq2seq_attention.py"))
    back = _back_edges(seq)
    assert back[("squeeze", "decoder.embedding")].endswith("×6")  # the greedy token, fed back
    solid = [(e.src, e.dst) for e in seq.edges if not e.back]
    titles = {n.id: n.title for n in seq.nodes}
    assert ("squeeze", "decoder.embedding") not in [(titles.get(s), titles.get(d)) for s, d in solid]


# ---- gates --------------------------------------------------------------------------------------


def test_relu_and_attention_tanh_are_activations_not_gates() -> None:
    for name in ("seq2seq_attention", "tacotron_attention", "bahdanau_batch"):
        trace = trace_file(MODELS / f"{name}.py")
        assert all(not cell.custom for cell in trace.cells), name  # no module there is a hand-written cell
        g = view.build(trace)
        assert not [n for n in g.nodes if n.gate], name  # nothing yellow
    gru = view.build(trace_file(MODELS.parent.parent / "examples" / "gru.py"))
    assert sorted({n.gate for n in gru.nodes if n.gate}) == ["n", "r", "z"]  # real gates stay gates


class Elman(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w, self.u = nn.Linear(3, 5), nn.Linear(5, 5)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.w(x) + self.u(h))
        return h


class ElmanNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = Elman()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(2, 5)
        for t in range(x.shape[0]):
            h = self.cell(x[t], h)
        return h


def test_a_tanh_that_is_the_new_state_is_the_cells_gate() -> None:
    trace = analysis.annotate(capture.trace_model(ElmanNet(), (torch.randn(4, 2, 3),)))
    (cell,) = trace.cells
    assert [(g.name, g.activation) for g in cell.gates] == [("h", "tanh")]


# ---- Mogrifier around a built-in cell, Cell classes opened in a loop -----------------------------


def test_mogrifier_rounds_around_lstmcell_are_numbered_not_rolled() -> None:
    trace = trace_file(MODELS / "mogrifier_lstmcell.py")
    by_path = {cell.path: cell for cell in trace.cells}
    for layer in ("layers.0", "layers.1"):
        cell = by_path[layer]
        assert cell.rounds == 5
        assert [g.name for g in cell.gates] == [f"round {i}" for i in range(1, 6)]
        assert dict(cell.shared) == {f"{layer}.q": 3, f"{layer}.r": 2}
    found = loops.rolling_for(trace, all_ops=False).loops
    assert [lp.count for lp in found] == [5]  # the time loop only: no loop of rounds
    assert all("activation" not in cell.path for cell in trace.cells)
    assert not any("activation" in n for cell in trace.cells for n, _ in cell.shared)  # nn.Tanh shares nothing


def test_an_opened_cell_class_in_a_loop_is_one_step_with_a_back_edge_per_state() -> None:
    g = view.build(trace_file(MODELS / "mogrifier_lstmcell.py"))
    (cell,) = [n for n in g.nodes if n.title == "layers.0.cell"]
    assert cell.kind == NodeKind.CELL and "one step ×5" in cell.subtitle and cell.cells
    assert not [n for n in g.nodes if n.title == "outputs of all steps"]
    into = [e for e in g.edges if e.dst == cell.id]
    back = sorted(e.label for e in into if e.back)
    assert back == ["c(t−1) [2, 16] ×5"]  # h(t−1) is mogrified first, so it arrives from round 4
    assert sorted(e.label.split(" ")[0] for e in into if not e.back) == ["c(t−1)", "h(t−1)", "x(t)"]
    gru = view.build(trace_file(MODELS / "inplace_writes.py"))
    (node,) = [n for n in gru.nodes if n.kind == NodeKind.CELL]
    labels = sorted(e.label for e in gru.edges if e.dst == node.id and e.back)
    assert labels == ["h(t−1) [3, 16] ×5"]


def test_a_loop_inside_one_forward_is_one_cell_step_with_named_gates() -> None:
    trace = trace_file(MODELS / "custom_lstm_loop.py")
    (cell,) = trace.cells
    assert cell.path == "lstm" and cell.steps == 6 and cell.custom
    assert [g.name for g in cell.gates] == ["input_gate", "forget_gate", "cell_gate", "output_gate", "tanh(c)"]
    assert "lstm.p2g: called ×1 per step" in cell.notes and not cell.shared
    inputs = {n.label for n in cell.nodes if n.kind == "input"}
    assert inputs == {"gates", "h", "c"}
    back = {(e.src, e.dst) for e in cell.edges if e.back}
    assert back == {("out:h", "in:h"), ("out:c", "in:c")}
    assert len(calls_named(trace, "lstm.p2g")) == 6
