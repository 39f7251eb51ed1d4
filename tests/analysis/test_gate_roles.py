"""Which σ/tanh calls are gates: a gate scales a value the step computes or is the state handed on.

A product with a parameter is a weighting (additive attention's `sum(self.v * tanh(·))`), a value
collected per step is an output (a decoder's stop token), and nn.Sigmoid/nn.Tanh modules gate exactly
like torch.sigmoid/torch.tanh.
"""

from __future__ import annotations

import torch
from torch import nn

from archviz import analysis, capture, record, view
from archviz.analysis.ops import activation
from archviz.kinds import Activation, WireKind

H = 8

# ---- attention: the tanh of an additive score is an activation --------------------------------


class BahdanauParamV(nn.Module):
    """`score = sum(v * tanh(W q + U k))` with `v` an nn.Parameter (common in public seq2seq code)."""

    def __init__(self) -> None:
        super().__init__()
        self.W, self.U = nn.Linear(H, H), nn.Linear(H, H)
        self.v = nn.Parameter(torch.rand(H))

    def forward(self, q: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        energy = torch.tanh(self.W(q).unsqueeze(1) + self.U(keys))
        score = torch.sum(self.v * energy, dim=2)
        a = torch.softmax(score, -1)
        return torch.bmm(a.unsqueeze(1), keys).squeeze(1)


class BahdanauViewedV(BahdanauParamV):
    """The same with `v` broadcast by hand first: a value made from a parameter alone is still fixed."""

    def forward(self, q: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        energy = torch.tanh(self.W(q).unsqueeze(1) + self.U(keys))
        v = self.v.unsqueeze(0).unsqueeze(0).expand(keys.shape[0], keys.shape[1], H)
        score = (energy * v).sum(2)
        return torch.bmm(torch.softmax(score, -1).unsqueeze(1), keys).squeeze(1)


class BahdanauLinearV(nn.Module):
    """`score = v(tanh(W q + U k))` with `v` an nn.Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.W, self.U, self.v = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, 1)

    def forward(self, q: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        e = self.v(torch.tanh(self.W(q).unsqueeze(1) + self.U(keys))).squeeze(-1)
        return (torch.softmax(e, -1).unsqueeze(-1) * keys).sum(1)


class Luong(nn.Module):
    """Luong's `general` score, then `h~ = tanh(W_c [c; h])`: the tanh is the attentional output."""

    def __init__(self) -> None:
        super().__init__()
        self.Wa, self.Wc = nn.Linear(H, H, bias=False), nn.Linear(2 * H, H)

    def forward(self, q: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        score = torch.bmm(keys, self.Wa(q).unsqueeze(2)).squeeze(2)
        ctx = torch.bmm(torch.softmax(score, -1).unsqueeze(1), keys).squeeze(1)
        return torch.tanh(self.Wc(torch.cat([ctx, q], -1)))


class AttnDecoder(nn.Module):
    """A decoder calling the attention once per step, with a built-in GRUCell."""

    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.attn, self.cell = attn, nn.GRUCell(H, H)

    def forward(self, keys: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(keys.shape[0], H)
        for _ in range(3):
            h = self.cell(self.attn(h, keys), h)
        return h


def _annotated(model: nn.Module, *args: torch.Tensor) -> record.Trace:
    trace = analysis.annotate(capture.trace_model(model.eval(), args))
    assert trace.failure is None
    return trace


def _gates_by_path(trace: record.Trace) -> dict[str, list[tuple[str, str]]]:
    return {cell.path: [(g.name, str(g.activation)) for g in cell.gates] for cell in trace.cells}


def _gate_calls(trace: record.Trace) -> set[str]:
    return {n.call for cell in trace.cells for n in cell.nodes if n.kind == WireKind.GATE and n.call}


def test_additive_and_luong_attention_tanh_is_an_activation_not_a_gate() -> None:
    keys = torch.randn(2, 5, H)
    for attn in (BahdanauParamV(), BahdanauViewedV(), BahdanauLinearV(), Luong()):
        trace = _annotated(AttnDecoder(attn), keys)
        name = type(attn).__name__
        assert _gates_by_path(trace) == {"cell": [("r", "sigmoid"), ("z", "sigmoid"), ("n", "tanh")]}, name
        assert not [c for c in trace.cells if c.custom], name  # the attention is no hand-written cell
        tanhs = [c for c in trace.calls if c.name == "tanh" and c.parent and trace.call(c.parent).name == "attn"]
        assert len(tanhs) == 3 and not _gate_calls(trace) & {c.id for c in tanhs}, name
        g = view.build(trace)
        assert not [n for n in g.nodes if n.gate], name  # nothing yellow
        assert "attn" not in {cell.path for cell in trace.cells}, name  # no `attn.gates` drill-in


class InlineAttnDecoder(nn.Module):
    """The same score written inline in the decoder's own loop: `self.v` enters the step like `h` does."""

    def __init__(self) -> None:
        super().__init__()
        self.W, self.U, self.cell = nn.Linear(H, H), nn.Linear(H, H), nn.GRUCell(H, H)
        self.v = nn.Parameter(torch.rand(H))

    def forward(self, keys: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(keys.shape[0], H)
        for _ in range(3):
            energy = torch.tanh(self.W(h).unsqueeze(1) + self.U(keys))
            score = torch.sum(self.v * energy, dim=2)
            ctx = torch.bmm(torch.softmax(score, -1).unsqueeze(1), keys).squeeze(1)
            h = self.cell(ctx, h)
        return h


def test_an_attention_score_inside_the_loop_itself_is_no_cell() -> None:
    trace = _annotated(InlineAttnDecoder(), torch.randn(2, 5, H))
    assert _gates_by_path(trace) == {"cell": [("r", "sigmoid"), ("z", "sigmoid"), ("n", "tanh")]}


# ---- a per-step output is no state --------------------------------------------------------------


class MinGRU(nn.Module):
    """A hand-written minimal GRU: `h' = (1 - z) h + z relu(W [x; h])`; z is a real gate."""

    def __init__(self, i: int, h: int) -> None:
        super().__init__()
        self.z, self.hc = nn.Linear(i + h, h), nn.Linear(i + h, h)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xh = torch.cat([x, h], -1)
        z = torch.sigmoid(self.z(xh))
        cand = torch.relu(self.hc(xh))
        return (1 - z) * h + z * cand


class StopDecoder(nn.Module):
    """A decoder whose loop collects a stop probability per step (Tacotron's gate output)."""

    def __init__(self) -> None:
        super().__init__()
        self.attn, self.cell = BahdanauLinearV(), MinGRU(2 * H, H)
        self.pre, self.stop = nn.Linear(H, H), nn.Linear(H, 1)

    def forward(self, keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.zeros(keys.shape[0], H)
        stops = []
        for _ in range(3):
            ctx = self.attn(h, keys)
            x = torch.relu(self.pre(ctx))
            h = self.cell(torch.cat([x, ctx], -1), h)
            stops.append(torch.sigmoid(self.stop(h)))
        return h, torch.cat(stops, -1)


class Stopper(nn.Module):
    """A per-step module whose only output is a stop probability: no state is handed on."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(H, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.lin(h))


class StopperDecoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell, self.stopper = MinGRU(H, H), Stopper()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.zeros(x.shape[1], H)
        stops = []
        for t in range(x.shape[0]):
            h = self.cell(x[t], h)
            stops.append(self.stopper(h))
        return h, torch.stack(stops)


class Elman(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w, self.u = nn.Linear(3, H), nn.Linear(H, H)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.w(x) + self.u(h))
        return h


class DroppedElman(nn.Module):
    """The new state passes a dropout before the next step reads it: still the state handed on."""

    def __init__(self) -> None:
        super().__init__()
        self.cell, self.drop = Elman(), nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(2, H)
        for t in range(x.shape[0]):
            h = self.drop(self.cell(x[t], h))
        return h


class LoopElman(nn.Module):
    """An Elman recurrence written as a loop in one forward, collecting every h."""

    def __init__(self) -> None:
        super().__init__()
        self.w, self.u = nn.Linear(3, H), nn.Linear(H, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(2, H)
        outs = []
        for t in range(x.shape[0]):
            h = torch.tanh(self.w(x[t]) + self.u(h))
            outs.append(h)
        return torch.stack(outs)


def test_a_stop_token_collected_per_step_is_an_output_not_a_gate() -> None:
    trace = _annotated(StopDecoder(), torch.randn(2, 5, H))
    assert _gates_by_path(trace) == {"cell": [("z", "sigmoid")]}  # the decoder loop is no second cell
    stops = [c.id for c in trace.calls if c.name == "sigmoid" and c.parent == trace.calls[0].id]
    assert len(stops) == 3 and not _gate_calls(trace) & set(stops)
    g = view.build(trace)
    assert {n.gate for n in g.nodes if n.gate} == {"z"}
    assert next(n for n in g.nodes if n.call == stops[0]).gate == ""
    per_module = _annotated(StopperDecoder(), torch.randn(4, 2, H))
    assert _gates_by_path(per_module) == {"cell": [("z", "sigmoid")]}  # `stopper` is no cell


class LearnedInitLoop(nn.Module):
    """A loop whose initial state is a parameter read as is: in step one `z * h` still gates a state."""

    def __init__(self) -> None:
        super().__init__()
        self.h0 = nn.Parameter(torch.zeros(2, H))
        self.z, self.inp = nn.Linear(2 * H, H), nn.Linear(H, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.h0
        for t in range(x.shape[0]):
            z = torch.sigmoid(self.z(torch.cat([x[t], h], -1)))
            h = z * h + self.inp(x[t])
        return h


def test_a_tanh_that_is_the_state_read_by_the_next_step_stays_a_gate() -> None:
    dropped = _annotated(DroppedElman().eval(), torch.randn(4, 2, 3))
    assert _gates_by_path(dropped) == {"cell": [("h", "tanh")]}
    loop = _annotated(LoopElman(), torch.randn(4, 2, 3))
    assert _gates_by_path(loop) == {"": [("h", "tanh")]}
    learned = _annotated(LearnedInitLoop(), torch.randn(4, 2, H))
    assert _gates_by_path(learned) == {"": [("z", "sigmoid")]}


# ---- nn.Sigmoid / nn.Tanh modules gate like the functions ---------------------------------------


class ModuleGRUCell(nn.Module):
    """A GRU cell written with activation modules instead of torch.sigmoid/torch.tanh."""

    def __init__(self, i: int = 4, h: int = 6) -> None:
        super().__init__()
        self.x2h, self.h2h = nn.Linear(i, 3 * h), nn.Linear(h, 3 * h)
        self.sigmoid, self.tanh = nn.Sigmoid(), nn.Tanh()

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xr, xz, xn = self.x2h(x).chunk(3, -1)
        hr, hz, hn = self.h2h(h).chunk(3, -1)
        r = self.sigmoid(xr + hr)
        z = self.sigmoid(xz + hz)
        n = self.tanh(xn + r * hn)
        return (1 - z) * n + z * h


class FunctionalGRUCell(ModuleGRUCell):
    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xr, xz, xn = self.x2h(x).chunk(3, -1)
        hr, hz, hn = self.h2h(h).chunk(3, -1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


class Unrolled(nn.Module):
    def __init__(self, cell: nn.Module, hidden: int = 6) -> None:
        super().__init__()
        self.cell, self.hidden = cell, hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[1], self.hidden)
        for t in range(x.shape[0]):
            h = self.cell(x[t], h)
        return h


def test_activation_modules_gate_like_the_functional_form() -> None:
    x = torch.randn(3, 2, 4)
    modules = _annotated(Unrolled(ModuleGRUCell()), x)
    functional = _annotated(Unrolled(FunctionalGRUCell()), x)
    expected = [("r", "sigmoid"), ("z", "sigmoid"), ("n", "tanh")]
    assert _gates_by_path(modules) == _gates_by_path(functional) == {"cell": expected}
    (cell,) = modules.cells
    assert [g.weights for g in cell.gates] == [g.weights for g in functional.cells[0].gates]
    assert all(w.startswith(("cell.x2h", "cell.h2h")) for g in cell.gates for w in g.weights)
    gate_modules = [modules.call(c) for c in _gate_calls(modules)]
    assert sorted(c.type for c in gate_modules) == ["Sigmoid", "Sigmoid", "Tanh"]
    assert not cell.shared  # nn.Sigmoid called twice shares no weights
    assert activation(gate_modules[0]) in (Activation.SIGMOID, Activation.TANH)
    g = view.build(modules)
    assert sum(1 for n in g.nodes if n.gate) == 3


def test_an_activation_module_that_gates_nothing_stays_an_activation() -> None:
    head = nn.Sequential(nn.Linear(H, H), nn.Tanh(), nn.Linear(H, 2), nn.Sigmoid())
    trace = _annotated(head, torch.randn(2, H))
    assert trace.cells == ()


# ---- a parameter inside a gate's input does not change what gates --------------------------------


class PeepholeLSTMCell(nn.Module):
    """An LSTM cell with diagonal peepholes: `i = σ(W x + U h + p_i ⊙ c)`, p_i an nn.Parameter."""

    def __init__(self, i: int = 4, h: int = 6) -> None:
        super().__init__()
        self.w, self.u = nn.Linear(i, 4 * h), nn.Linear(h, 4 * h, bias=False)
        self.p_i, self.p_f, self.p_o = (nn.Parameter(torch.rand(h)) for _ in range(3))

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = state
        gi, gf, gg, go = (self.w(x) + self.u(h)).chunk(4, -1)
        i = torch.sigmoid(gi + self.p_i * c)
        f = torch.sigmoid(gf + self.p_f * c)
        g = torch.tanh(gg)
        c = f * c + i * g
        o = torch.sigmoid(go + self.p_o * c)
        h = o * torch.tanh(c)
        return h, c


class PeepholeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = PeepholeLSTMCell()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, c = torch.zeros(x.shape[1], 6), torch.ones(x.shape[1], 6)
        for t in range(x.shape[0]):
            h, c = self.cell(x[t], (h, c))
        return h


def test_a_parameter_scaled_peephole_keeps_every_lstm_gate() -> None:
    trace = _annotated(PeepholeNet(), torch.randn(3, 2, 4))
    (cell,) = trace.cells
    assert [(g.name, str(g.activation)) for g in cell.gates] == [
        ("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid"), ("tanh(c)", "tanh"),
    ]  # fmt: skip
    assert any(n.name == "c (state update)" for n in cell.nodes)
    peepholes = [n for n in cell.nodes if n.label == "⊙" and "self.p_" in n.detail]
    assert len(peepholes) == 3 and {n.kind for n in peepholes} == {WireKind.POINTWISE}  # p ⊙ c: weightings


class ScaledGate(nn.Module):
    """`h' = (self.a * z) * h + …`: a gate rescaled by a parameter still gates h."""

    def __init__(self) -> None:
        super().__init__()
        self.lin, self.a = nn.Linear(2 * H, H), nn.Parameter(torch.ones(H))

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        z = torch.sigmoid(self.lin(torch.cat([x, h], -1)))
        return (self.a * z) * h + x


def test_a_gate_weighted_by_a_parameter_still_gates_the_state() -> None:
    trace = _annotated(Unrolled(ScaledGate(), H), torch.randn(3, 2, H))
    assert _gates_by_path(trace) == {"cell": [("z", "sigmoid")]}
