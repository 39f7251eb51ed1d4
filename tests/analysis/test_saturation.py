"""A gate's spread over every traced step: built-in modules from their verification, custom cells by
adding up the calls of the gate's op at each step — checked against the values computed directly."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from archviz import capture
from archviz.analysis import annotate
from archviz.analysis.saturation import gate_spreads, merged
from archviz.record import Stats

STORE: dict[str, list[Tensor]] = {}  # outside the model: a trace leaves the model exactly as it was


def direct(kind: str, values: list[Tensor]) -> Stats:
    v = torch.cat([t.reshape(-1) for t in values]).double()
    low, high = (0.0, 1.0) if kind == "sigmoid" else (-1.0, 1.0)
    width = (high - low) / 10
    hist = tuple(
        int(((v >= low + k * width) & ((v < low + (k + 1) * width) if k < 9 else (v <= high))).sum()) for k in range(10)
    )
    n = v.numel()
    return Stats(kind, n, float((v < low + 0.01).sum()) / n, float((v > high - 0.01).sum()) / n, hist)


class Cell(nn.Module):
    """A minimal gated cell: h' = z ⊙ h + (1 − z) ⊙ tanh(W [x; h])."""

    def __init__(self, n_in: int, hidden: int) -> None:
        super().__init__()
        self.gate = nn.Linear(n_in + hidden, hidden)
        self.cand = nn.Linear(n_in + hidden, hidden)

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        xh = torch.cat([x, h], dim=1)
        z = torch.sigmoid(self.gate(xh))
        n = torch.tanh(self.cand(xh))
        STORE.setdefault("z", []).append(z.detach().clone())
        STORE.setdefault("n", []).append(n.detach().clone())
        return z * h + (1 - z) * n


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = Cell(4, 6)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.size(0), 6)
        for t in range(x.size(1)):
            h = self.cell(x[:, t], h)
        return h


def test_a_custom_cells_gates_are_spread_over_every_step() -> None:
    torch.manual_seed(0)
    model, x = Net(), 3 * torch.randn(2, 7, 4)
    STORE.clear()
    trace = annotate(capture.trace_model(model, (x,)))
    seen = {k: list(v) for k, v in STORE.items()}
    (cell,) = [c for c in trace.cells if c.custom]
    assert cell.spreads == gate_spreads(trace, cell)  # computed once by the analysis, kept on the cell
    spreads = {s.gate: s.stats for s in cell.spreads}
    kinds = {g.name: g.activation for g in cell.gates}
    assert len(spreads) == 2
    for gate, stats in spreads.items():
        key = "z" if kinds[gate] == "sigmoid" else "n"
        expected = direct(str(kinds[gate]), seen[key])
        assert stats.count == 2 * 6 * 7 == expected.count  # B · H · T: every step, not the first
        assert stats.hist == expected.hist
        assert abs(stats.low - expected.low) < 1e-12 and abs(stats.high - expected.high) < 1e-12


def test_a_built_in_modules_gates_come_per_layer_and_direction() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
    trace = annotate(capture.trace_model(lstm, (torch.randn(3, 6, 5),)))
    assert len(trace.cells) == 4
    for cell in trace.cells:
        spreads = cell.spreads
        assert [s.gate for s in spreads] == ["i", "f", "g", "o"]
        assert all(s.stats.count == 3 * 4 * 6 for s in spreads)  # B · H · T for this layer and direction
    first, second = (c.spreads[0].stats for c in trace.cells[:2])
    assert first != second  # each cell its own layer and direction, not the module's first


def test_merged_weights_the_fractions_by_count() -> None:
    a = Stats("sigmoid", 10, 0.5, 0.0, (5, 0, 0, 0, 0, 0, 0, 0, 0, 5))
    b = Stats("sigmoid", 30, 0.0, 0.1, (0, 0, 0, 0, 0, 27, 0, 0, 0, 3))
    m = merged([a, b])
    assert (m.count, m.hist) == (40, (5, 0, 0, 0, 0, 27, 0, 0, 0, 8))
    assert abs(m.low - 5 / 40) < 1e-12 and abs(m.high - 3 / 40) < 1e-12
