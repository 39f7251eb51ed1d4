"""Gate wiring: built-in modules are verified numerically; custom cells are named from the source."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import EXAMPLES, trace_example
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from archviz import analysis, capture, cli, record, view
from archviz.capture import verify
from archviz.draw import dot
from archviz.draw import gates as gatesdot


class Wrap(nn.Module):
    """Calls one recurrent module with the given extra arguments."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x, *rest):  # type: ignore[no-untyped-def]
        return self.rnn(x, *rest)


def _cells_of(model: nn.Module, *args: object) -> tuple[record.Call, list[record.Cell]]:
    trace = analysis.annotate(capture.trace_model(model, args))
    assert trace.failure is None
    call = next(c for c in trace.calls if c.name == "rnn")
    return call, [c for c in trace.cells if c.call == call.id]


STACKED = [
    (cls, layers, bi, bf, bias, dtype)
    for cls, layers, bi, bf, bias, dtype in itertools.product(
        (nn.LSTM, nn.GRU, nn.RNN),
        (1, 2, 3),
        (False, True),
        (False, True),
        (True, False),
        (torch.float32, torch.float64),
    )
    if not (layers == 3 and bf)  # keep the grid modest; 3 layers run once per other setting
]


@pytest.mark.parametrize(("cls", "layers", "bi", "bf", "bias", "dtype"), STACKED)
def test_stacked_modules_recompute_to_their_own_outputs(cls, layers, bi, bf, bias, dtype) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(layers)
    rnn = cls(5, 4, num_layers=layers, bidirectional=bi, batch_first=bf, bias=bias).to(dtype).eval()
    x = torch.randn(3, 6, 5, dtype=dtype) if bf else torch.randn(6, 3, 5, dtype=dtype)
    call, cells = _cells_of(Wrap(rnn), x)
    assert call.check is not None and call.check.verified, call.check
    # verified at the dtype's tolerance; the exact difference is not kept (it varies with threads)
    assert call.check.tolerance == (1e-9 if dtype == torch.float64 else 2e-5) and call.check.max_abs_error is None
    assert len(cells) == layers * (2 if bi else 1)
    assert all(c.nodes for c in cells)  # verified, so the wiring is drawn
    first, last = cells[0], cells[-1]
    assert next(n.shape for n in first.nodes if n.id == "x") == (3, 5)
    width = 4 * (2 if bi else 1)
    if layers > 1:
        assert next(n.shape for n in last.nodes if n.id == "x") == (3, width)
    labels = " ".join(n.label for n in first.nodes)
    assert ("b_i" in labels) == bias
    assert [g.name for g in first.gates] == {nn.LSTM: ["i", "f", "g", "o"], nn.GRU: ["r", "z", "n"], nn.RNN: ["h"]}[cls]
    assert first.steps == 6


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_input_with_initial_state_is_verified(cls, batch_first) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(1)
    rnn = cls(5, 4, num_layers=2, bidirectional=True, batch_first=batch_first).eval()
    x = torch.randn(3, 7, 5) if batch_first else torch.randn(7, 3, 5)
    packed = pack_padded_sequence(x, torch.tensor([3, 7, 5]), batch_first=batch_first, enforce_sorted=False)
    h0 = torch.randn(4, 3, 4)
    state = (h0, torch.randn(4, 3, 4)) if cls is nn.LSTM else h0
    call, cells = _cells_of(Wrap(rnn), packed, state)
    assert call.check is not None and call.check.verified, call.check
    assert cells[0].steps == 7 and next(n.shape for n in cells[0].nodes if n.id == "x") == (3, 5)


def test_lstm_projection_is_wired_and_verified() -> None:
    rnn = nn.LSTM(5, 6, proj_size=3, num_layers=2, bidirectional=True).eval()
    call, cells = _cells_of(Wrap(rnn), torch.randn(4, 2, 5))
    assert call.check is not None and call.check.verified
    proj = next(n for n in cells[0].nodes if n.id == "proj")
    assert proj.shape == (2, 3) and "[3, 6]" in proj.detail
    assert next(n.shape for n in cells[2].nodes if n.id == "x") == (2, 6)  # 2 directions × proj 3
    assert next(n.shape for n in cells[0].nodes if n.id == "h1") == (2, 3)


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_classes_are_verified(cls, dtype, bias) -> None:  # type: ignore[no-untyped-def]
    cell = cls(5, 4, bias=bias).to(dtype)
    call, cells = _cells_of(Wrap(cell), torch.randn(3, 5, dtype=dtype))
    assert call.check is not None and call.check.verified
    assert len(cells) == 1 and cells[0].direction == "forward" and cells[0].nodes


class NoisyLSTM(nn.LSTM):
    """An LSTM whose output is not what its weights say: verification must refuse to draw it."""

    def forward(self, *args):  # type: ignore[no-untyped-def]
        out, (h, c) = super().forward(*args)
        return out + 1e-2, (h, c)


def test_a_cell_that_does_not_recompute_is_drawn_opaque_with_the_reason() -> None:
    call, cells = _cells_of(Wrap(NoisyLSTM(5, 4).eval()), torch.randn(6, 3, 5))
    assert call.check is not None and not call.check.verified
    assert call.check.max_abs_error == pytest.approx(1e-2, rel=1e-3)
    assert cells and not cells[0].nodes and "drawn closed" in cells[0].notes[0]
    text = gatesdot.cell_dot(cells[0])
    assert "differ" in text and "act_i" not in text


def test_training_mode_dropout_is_not_verifiable() -> None:
    rnn = nn.LSTM(5, 4, num_layers=2, dropout=0.5).train()
    call, cells = _cells_of(Wrap(rnn), torch.randn(6, 3, 5))
    assert call.check is not None and not call.check.verified and "dropout" in call.check.note
    assert all(not c.nodes for c in cells)


def test_verification_checks_the_gate_order() -> None:
    """Swapping two LSTM gates in the equations makes the check fail: the check is not vacuous."""
    rnn = nn.LSTM(5, 4).eval()
    x = torch.randn(6, 3, 5)
    out = rnn(x)
    assert verify.check(rnn, (x,), {}, out).verified
    with torch.no_grad():
        w = rnn.weight_ih_l0.clone()
    original = verify._weights

    def swapped(module: nn.Module, suffix: str) -> dict[str, torch.Tensor | None]:
        got = original(module, suffix)
        i, f, g, o = got["ih"].chunk(4)  # type: ignore[union-attr]
        return {**got, "ih": torch.cat([f, i, g, o])}

    verify._weights = swapped  # type: ignore[assignment]
    try:
        assert not verify.check(rnn, (x,), {}, out).verified
    finally:
        verify._weights = original  # type: ignore[assignment]
    assert torch.equal(w, rnn.weight_ih_l0)


def test_custom_gru_gates_are_named_from_the_source() -> None:
    trace = analysis.annotate(trace_example("gru"))
    cells = [c for c in trace.cells if c.kind == "custom"]
    assert [c.path for c in cells] == ["cells.0", "cells.1"]
    assert [g.name for g in cells[0].gates] == ["z", "r", "n"]
    assert [g.activation for g in cells[0].gates] == ["sigmoid", "sigmoid", "tanh"]
    assert cells[0].steps == 5
    assert "cells.0.update_gate" in cells[0].gates[0].weights[0]
    back = [e for e in cells[0].edges if e.back]
    assert back and back[0].dst == "in:args[1]" and back[0].shape == (3, 20)
    g = view.build(trace)
    assert sorted(n.gate for n in g.nodes if n.gate) == ["n", "n", "r", "r", "z", "z"]
    text = dot.to_dot(g)
    assert "z = σ" in text and "n = tanh" in text


def test_mogrifier_rounds_are_numbered_before_the_lstm_gates() -> None:
    trace = analysis.annotate(trace_example("mogrifier"))
    (cell,) = trace.cells
    assert cell.rounds == 5
    assert [g.name for g in cell.gates][:9] == [f"round {i}" for i in range(1, 6)] + ["i", "f", "g", "o"]
    targets = [n.name for n in cell.nodes if n.name.startswith("round") and "←" in n.name]
    assert targets == [f"round {i}: {'x' if i % 2 else 'h'} ← 2σ(·)⊙{'x' if i % 2 else 'h'}" for i in range(1, 6)]
    shapes = [g.shape for g in cell.gates[:5]]
    assert shapes == [(3, 10), (3, 20), (3, 10), (3, 20), (3, 10)]


class SharedGateCell(nn.Module):
    """The common mistake: one Linear used for all four gates, so the gates are identical."""

    def __init__(self, n: int = 4, h: int = 6) -> None:
        super().__init__()
        self.gate = nn.Linear(n + h, h)

    def forward(self, x, state):  # type: ignore[no-untyped-def]
        h, c = state
        combined = torch.cat([x, h], 1)
        f_gate = torch.sigmoid(self.gate(combined))
        i_gate = torch.sigmoid(self.gate(combined))
        o_gate = torch.sigmoid(self.gate(combined))
        candidate = torch.tanh(self.gate(combined))
        c = f_gate * c + i_gate * candidate
        h = o_gate * torch.tanh(c)
        return h, c


class SharedLoop(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = SharedGateCell()

    def forward(self, x):  # type: ignore[no-untyped-def]
        h = c = torch.zeros(x.shape[0], 6)
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
        return h


def test_shared_weights_are_marked() -> None:
    trace = analysis.annotate(capture.trace_model(SharedLoop(), (torch.randn(2, 3, 4),)))
    (cell,) = trace.cells
    assert cell.shared == (("cell.gate", 4),)
    assert [g.name for g in cell.gates] == ["f_gate", "i_gate", "o_gate", "candidate", "tanh(c)"]
    g = view.build(trace)
    shared = [n for n in g.nodes if n.title == "cell.gate"]
    assert len(shared) == 4 and all("shared weights: called ×4 per step" in n.notes for n in shared)
    assert "cell.gate: called ×4 in one step, shared weights" in cell.notes


def test_cells_round_trip_through_json() -> None:
    trace = analysis.annotate(trace_example("bilstm_classifier"))
    assert len(trace.cells) == 4
    assert record.Trace.from_json(trace.to_json()) == trace


def test_bilstm_drill_ins_show_both_directions_of_both_layers(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli.main, ["render", str(EXAMPLES / "bilstm_classifier.py"), "-o", str(tmp_path), "--format", "svg,dot"]
    )
    assert result.exit_code == 0, result.output
    for layer, direction in itertools.product((0, 1), ("forward", "reverse")):
        text = (tmp_path / f"bilstm_classifier.lstm.l{layer}.{direction}.gates.dot").read_text()
        assert f"layer {layer} · {direction}" in text and "verified" in text
        assert f"weight_ih_l{layer}{'_reverse' if direction == 'reverse' else ''}[0:32]" in text
        assert ("[32, 16]" if layer == 0 else "[32, 64]") in text
    overview = (tmp_path / "bilstm_classifier.lstm.gates.dot").read_text()
    assert "h_n [4, 4, 32]" in overview and "rows: l0 for, l0 rev, l1 for, l1 rev" in overview
    assert 'href="bilstm_classifier.lstm.l1.reverse.gates.svg"' in overview
    main = (tmp_path / "bilstm_classifier.dot").read_text()
    assert "h_n[-2] = layer 1 forward" in main and "h_n[-1] = layer 1 reverse" in main
    assert 'href="bilstm_classifier.lstm.gates.svg"' in main


def test_gates_all_opens_the_stack_in_the_main_diagram() -> None:
    trace = analysis.annotate(trace_example("bilstm_classifier"))
    g = view.build(trace, view.View(gates="all"))
    assert view.lint(g) == []
    cells = [n for n in g.nodes if n.kind == "cell"]
    assert [n.title for n in cells] == ["layer 0 forward", "layer 0 reverse", "layer 1 forward", "layer 1 reverse"]
    closed = view.build(trace, view.View(gates="none"))
    assert not any(n.kind == "cell" for n in closed.nodes)


def test_builtin_cell_classes_open_by_default_and_stacks_stay_closed() -> None:
    class Both(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = nn.GRUCell(5, 4)
            self.rnn = nn.GRU(5, 4)

        def forward(self, x):  # type: ignore[no-untyped-def]
            return self.cell(x[0]), self.rnn(x)[0]

    trace = analysis.annotate(capture.trace_model(Both(), (torch.randn(6, 3, 5),)))
    g = view.build(trace)
    assert view.lint(g) == []
    opened = [n for n in g.nodes if n.kind == "cell"]
    assert [n.title for n in opened] == ["cell"] and "x(t) [3, 5] → h(t) [3, 4]" in opened[0].outputs
    assert any(n.title == "rnn" and n.kind == "module" for n in g.nodes)
