"""How gate activations were spread on the traced inputs: `Call.stats` of sigmoid/tanh calls and
`Check.saturation` of built-in recurrent modules, checked against the values computed directly."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from archviz import capture
from archviz.record import Stats

RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def direct(kind: str, values: Tensor) -> Stats:
    """The stats of `values` by plain comparisons: the definition the record documents."""
    v = values.detach().double().reshape(-1)
    low, high = RANGES[kind]
    width = (high - low) / 10
    hist = []
    for k in range(10):
        lo = low + k * width
        inside = (v >= lo) & ((v < lo + width) if k < 9 else (v <= high))
        hist.append(int(inside.sum()))
    n = v.numel()
    return Stats(kind, n, float((v < low + 0.01).sum()) / n, float((v > high - 0.01).sum()) / n, tuple(hist))


class Seen:
    """Values a model keeps for the test: outside the model, which a trace leaves exactly as it was."""

    def __init__(self) -> None:
        self.values: list[tuple[str, Tensor]] = []


def same(a: Stats | None, b: Stats) -> bool:
    return (
        a is not None
        and (a.kind, a.count, a.hist) == (b.kind, b.count, b.hist)
        and a.low == pytest.approx(b.low, abs=1e-12)
        and a.high == pytest.approx(b.high, abs=1e-12)
    )


class HandGRUCell(nn.Module):
    """A GRU step written out; keeps copies of its gate values to compare with the record."""

    def __init__(self, n_in: int, hidden: int) -> None:
        super().__init__()
        self.x2h = nn.Linear(n_in, 3 * hidden)
        self.h2h = nn.Linear(hidden, 3 * hidden)
        self.seen = Seen()

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        xr, xz, xn = self.x2h(x).chunk(3, 1)
        hr, hz, hn = self.h2h(h).chunk(3, 1)
        r = torch.sigmoid(xr + hr)
        z = (xz + hz).sigmoid()
        n = torch.tanh(xn + r * hn)
        self.seen.values += [("sigmoid", r.clone()), ("sigmoid", z.clone()), ("tanh", n.clone())]
        return (1 - z) * n + z * h


class Unrolled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = HandGRUCell(6, 8)

    def forward(self, x: Tensor) -> Tensor:
        h = x.new_zeros(x.shape[0], 8)
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
        return h


def test_a_hand_written_gru_cells_gates_match_a_direct_computation() -> None:
    torch.manual_seed(0)
    model = Unrolled()
    trace = capture.trace_model(model, (3 * torch.randn(4, 9, 6),))  # large inputs: some gates saturate
    gates = [c for c in trace.calls if c.name in ("sigmoid", "tanh")]
    assert len(gates) == len(model.cell.seen.values) == 27
    for call, (kind, values) in zip(gates, model.cell.seen.values, strict=True):
        assert same(call.stats, direct(kind, values)), call.id
    assert any(c.stats is not None and c.stats.low + c.stats.high > 0 for c in gates)
    # everything else has none
    assert all(c.stats is None for c in trace.calls if c.name not in ("sigmoid", "tanh"))


class Activations(nn.Module):
    """Sigmoid and tanh as modules, functions and methods, large and small, in place, half, complex."""

    def __init__(self) -> None:
        super().__init__()
        self.sig = nn.Sigmoid()
        self.tanh = nn.Tanh()
        self.seen = Seen()

    def forward(self, x: Tensor, big: Tensor) -> Tensor:
        a = self.sig(x)
        b = self.tanh(x)
        c = torch.nn.functional.tanh(big)  # more values than wait for a batch: counted at once
        d = (2 * x).sigmoid_()
        e = torch.sigmoid(x.half())
        f = torch.tanh(torch.complex(x, x))
        self.seen.values += [
            (k, v.clone())
            for k, v in zip(("sigmoid", "tanh", "tanh", "sigmoid", "sigmoid"), (a, b, c, d, e), strict=True)
        ]
        return a + b + d + e + f.real + c.mean()


def test_modules_methods_in_place_large_and_half_outputs_are_summarised() -> None:
    torch.manual_seed(1)
    model = Activations()
    trace = capture.trace_model(model, (4 * torch.randn(5, 7), 2 * torch.randn(300, 70)))
    sig, tanh = (next(c for c in trace.calls if c.name == n) for n in ("sig", "tanh"))
    ops = [c for c in trace.calls if c.name in ("tanh", "sigmoid_", "sigmoid") and c.kind == "op"]
    assert [c.type for c in ops] == ["Tensor.tanh", "Tensor.sigmoid_", "torch.sigmoid", "torch.tanh"]
    for call, (kind, values) in zip([sig, tanh, *ops[:3]], model.seen.values, strict=True):
        assert same(call.stats, direct(kind, values.float())), call.name
    assert ops[3].stats is None  # complex values: no spread over −1…1
    assert sig.stats is not None and sig.stats.count == 35 and sum(sig.stats.hist) == 35


def test_integer_nan_and_meta_values() -> None:
    class Odd(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            return torch.sigmoid(x)

    nan = torch.tensor([0.0, float("nan"), 100.0])
    (call,) = [c for c in capture.trace_model(Odd(), (nan,)).calls if c.name == "sigmoid"]
    assert call.stats is not None and call.stats.count == 3 and sum(call.stats.hist) == 2  # NaN in no bin
    assert call.stats.high == pytest.approx(1 / 3)
    meta = capture.trace_model(Odd(), (torch.randn(3, 4, device="meta"),))
    assert all(c.stats is None for c in meta.calls)


# ---- built-in modules: saturation from the recomputation -------------------------------------------


def hand_lstm_gates(lstm: nn.LSTM, x: Tensor) -> dict[tuple[str, int, str], Tensor]:
    """Every gate value of a sequence-first, bidirectional nn.LSTM, written out independently."""
    gates: dict[tuple[str, int, str], list[Tensor]] = {}
    layer_in = x
    H = lstm.hidden_size
    for k in range(lstm.num_layers):
        outs = []
        for direction, suffix in (("forward", ""), ("reverse", "_reverse")):
            w_ih, w_hh = getattr(lstm, f"weight_ih_l{k}{suffix}"), getattr(lstm, f"weight_hh_l{k}{suffix}")
            b = getattr(lstm, f"bias_ih_l{k}{suffix}") + getattr(lstm, f"bias_hh_l{k}{suffix}")
            h = c = x.new_zeros(x.shape[1], H)
            steps = range(x.shape[0] - 1, -1, -1) if direction == "reverse" else range(x.shape[0])
            out = [None] * x.shape[0]
            for t in steps:
                pre = layer_in[t] @ w_ih.T + h @ w_hh.T + b
                i, f, g, o = (
                    pre[:, :H].sigmoid(),
                    pre[:, H : 2 * H].sigmoid(),
                    pre[:, 2 * H : 3 * H].tanh(),
                    pre[:, 3 * H :].sigmoid(),
                )
                for name, v in zip("ifgo", (i, f, g, o), strict=True):
                    gates.setdefault((name, k, direction), []).append(v)
                c = f * c + i * g
                h = o * c.tanh()
                out[t] = h
            outs.append(torch.stack(out))  # type: ignore[arg-type]
        layer_in = torch.cat(outs, -1)
    return {key: torch.stack(v) for key, v in gates.items()}


def test_a_bidirectional_two_layer_lstms_saturation_per_gate_layer_and_direction() -> None:
    torch.manual_seed(2)
    lstm = nn.LSTM(5, 6, num_layers=2, bidirectional=True).eval()
    x = 4 * torch.randn(7, 3, 5)
    trace = capture.trace_model(lstm, (x,))
    check = trace.calls[0].check
    assert check is not None and check.verified
    got = {(s.gate, s.layer, s.direction): s.stats for s in check.saturation}
    with torch.no_grad():
        expected = hand_lstm_gates(lstm, x)
    order = [(g, k, d) for k in range(2) for d in ("forward", "reverse") for g in "ifgo"]
    assert [(s.gate, s.layer, s.direction) for s in check.saturation] == order
    for key, values in expected.items():
        assert same(got[key], direct("tanh" if key[0] == "g" else "sigmoid", values)), key
    assert any(s.stats.low + s.stats.high > 0 for s in check.saturation)


def test_padding_of_a_packed_batch_is_left_out_of_the_spread() -> None:
    lengths = torch.tensor([5, 2, 4])
    gru = nn.GRU(4, 3, batch_first=True)
    packed = pack_padded_sequence(torch.randn(3, 5, 4), lengths, batch_first=True, enforce_sorted=False)
    check = capture.trace_model(gru, (packed,)).calls[0].check
    assert check is not None and check.verified
    assert [s.gate for s in check.saturation] == ["r", "z", "n"]
    assert {s.stats.count for s in check.saturation} == {int(lengths.sum()) * 3}  # real steps × hidden


def test_cells_report_their_gates_and_plain_rnns_none() -> None:
    cell = capture.trace_model(nn.LSTMCell(4, 3), (torch.randn(2, 4),)).calls[0].check
    assert cell is not None and [(s.gate, s.layer, s.direction) for s in cell.saturation] == [
        (g, 0, "forward") for g in "ifgo"
    ]
    assert all(s.stats.count == 6 for s in cell.saturation)
    rnn = capture.trace_model(nn.RNN(4, 3), (torch.randn(5, 2, 4),)).calls[0].check
    assert rnn is not None and rnn.verified and rnn.saturation == ()


def test_meta_models_and_unverified_calls_have_no_saturation() -> None:
    with torch.device("meta"):
        lstm = nn.LSTM(4, 3)
        x = torch.randn(5, 2, 4)
    check = capture.trace_model(lstm, (x,)).calls[0].check
    assert check is not None and not check.verified and check.saturation == ()
    training = nn.LSTM(4, 3, num_layers=2, dropout=0.5).train()
    check = capture.trace_model(training, (torch.randn(5, 2, 4),)).calls[0].check
    assert check is not None and not check.verified and check.saturation == ()
    hand = Unrolled().to("meta")
    trace = capture.trace_model(hand, (torch.randn(2, 3, 6, device="meta"),))
    assert all(c.stats is None for c in trace.calls)
