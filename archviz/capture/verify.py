"""Recompute built-in recurrent modules from their own weights and compare with their real outputs.

The tracer calls `check` from its post-hook, while the tensors still exist, and stores only the
verdict (a `record.Check`, with the spread of the gate values it recomputed: `Check.saturation`) and
the module's configuration (a `record.RecurrentConfig`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .. import record
from ..kinds import CellMode, Direction
from .stats import SIGMOID, TANH, Spread, has_values

RECURRENT = (nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell, nn.RNNCell)
_TOL = {
    torch.float64: (1e-9, 1e-7),
    torch.float32: (2e-5, 1e-4),
    torch.float16: (5e-3, 5e-3),
    torch.bfloat16: (3e-2, 3e-2),
}
Observe = Callable[[str, str, torch.Tensor], None]  # (gate, sigmoid|tanh, its values at one step)
_BATCH = 1 << 14  # gate values counted together (few enough that the histogram op stays serial)


class Saturation:
    """The spread of every gate's values over the recomputation, per layer and direction.

    Values wait per gate and are counted in batches of about `_BATCH` (one histogram op per batch,
    not per step); steps past a sequence's length (padding of a packed batch) are left out.
    """

    def __init__(self) -> None:
        self.spreads: dict[tuple[int, str, str], Spread] = {}  # (layer, direction, gate), in order seen
        self.waiting: dict[tuple[int, str, str], list[torch.Tensor]] = {}
        self.rows: list[torch.Tensor | None] = []  # per step: the sequences still running, None for all

    def lengths(self, alive: torch.Tensor) -> None:
        """Which sequences run at each step: `alive` [T, B]."""
        self.rows = [
            None if all(step) else torch.tensor([b for b, a in enumerate(step) if a]) for step in alive.tolist()
        ]

    def observer(self, layer: int, direction: Direction, step: int | None = None) -> Observe:
        """What one layer and direction reports its gates to at time `step` (None: a cell's one step)."""
        rows = self.rows[step] if step is not None and self.rows else None

        def observe(gate: str, kind: str, values: torch.Tensor) -> None:
            key = (layer, direction.value, gate)
            waiting = self.waiting.get(key)
            if waiting is None:
                if not has_values(values):  # (every step of one gate has the same dtype and device)
                    return
                self.spreads[key], waiting = Spread(kind), self.waiting.setdefault(key, [])
            waiting.append(values if rows is None else values.index_select(0, rows.to(values.device)))
            if len(waiting) * values.numel() >= _BATCH:
                self._count(key)

        return observe

    def _count(self, key: tuple[int, str, str]) -> None:
        waiting = self.waiting[key]
        if waiting:
            self.spreads[key].add(torch.cat([t.reshape(-1) for t in waiting]))
            waiting.clear()

    def result(self) -> tuple[record.GateStats, ...]:
        """Per layer, forward before reverse, gates in the order of the equations (the order run)."""
        for key in self.spreads:
            self._count(key)
        return tuple(record.GateStats(g, k, d, s.stats()) for (k, d, g), s in self.spreads.items())


def config(module: nn.RNNBase | nn.RNNCellBase) -> record.RecurrentConfig:
    """The settings of a built-in recurrent module that decide its wiring."""
    mode = _mode(module)
    if isinstance(module, nn.RNNCellBase):
        return record.RecurrentConfig(
            mode, module.input_size, module.hidden_size, module.bias, cell=True, training=module.training
        )
    return record.RecurrentConfig(
        mode,
        module.input_size,
        module.hidden_size,
        module.bias,
        cell=False,
        num_layers=module.num_layers,
        bidirectional=module.bidirectional,
        batch_first=module.batch_first,
        proj_size=module.proj_size,
        dropout=float(module.dropout),
        training=module.training,
    )


def _mode(module: nn.Module) -> CellMode:
    if isinstance(module, (nn.LSTM, nn.LSTMCell)):
        return CellMode.LSTM
    if isinstance(module, (nn.GRU, nn.GRUCell)):
        return CellMode.GRU
    return CellMode.RNN_RELU if getattr(module, "nonlinearity", "tanh") == "relu" else CellMode.RNN_TANH


def _step(
    mode: CellMode,
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor | None,
    w: dict[str, torch.Tensor | None],
    observe: Observe | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One time step of PyTorch's documented equations; `w` holds W_ih, W_hh, b_ih, b_hh, W_hr.

    `observe` sees each gate's activation values (LSTM i, f, g, o; GRU r, z, n).
    """
    gi = x @ w["ih"].T + (w["b_ih"] if w["b_ih"] is not None else 0)  # type: ignore[union-attr]
    gh = h @ w["hh"].T + (w["b_hh"] if w["b_hh"] is not None else 0)  # type: ignore[union-attr]
    if mode == CellMode.LSTM:
        i, f, g, o = (gi + gh).chunk(4, -1)
        assert c is not None
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        if observe is not None:
            for name, kind, value in (("i", SIGMOID, i), ("f", SIGMOID, f), ("g", TANH, g), ("o", SIGMOID, o)):
                observe(name, kind, value)
        c = f * c + i * g
        h = o * torch.tanh(c)
        if w["hr"] is not None:
            h = h @ w["hr"].T
        return h, c
    if mode == CellMode.GRU:
        ir, iz, in_ = gi.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r = torch.sigmoid(ir + hr)
        z = torch.sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        if observe is not None:
            for name, kind, value in (("r", SIGMOID, r), ("z", SIGMOID, z), ("n", TANH, n)):
                observe(name, kind, value)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (torch.relu(pre) if mode == CellMode.RNN_RELU else torch.tanh(pre)), None


def _weights(module: nn.Module, suffix: str) -> dict[str, torch.Tensor | None]:
    def get(name: str) -> torch.Tensor | None:
        return getattr(module, name + suffix, None)

    return {
        "ih": get("weight_ih"),
        "hh": get("weight_hh"),
        "b_ih": get("bias_ih"),
        "b_hh": get("bias_hh"),
        "hr": get("weight_hr"),
    }


def _run_cell(
    module: nn.RNNCellBase, args: tuple[Any, ...], kwargs: dict[str, Any], seen: Saturation
) -> list[torch.Tensor]:
    mode = _mode(module)
    x = args[0] if args else kwargs["input"]
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    batched = x.dim() == 2
    x = x if batched else x.unsqueeze(0)
    zeros = x.new_zeros(x.shape[0], module.hidden_size)
    if mode == CellMode.LSTM:
        h, c = (zeros, zeros) if hx is None else hx if batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
    else:
        h, c = (zeros if hx is None else (hx if batched else hx.unsqueeze(0))), None
    h, c = _step(mode, x, h, c, _weights(module, ""), seen.observer(0, Direction.FORWARD))
    outs = [h] if c is None else [h, c]
    return outs if batched else [t.squeeze(0) for t in outs]


def _sequence(module: nn.RNNBase, x: Any) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """The input as [T, B, I] in the caller's batch order, the length of each sequence, and whether unbatched."""
    if isinstance(x, PackedSequence):
        seq, lengths = pad_packed_sequence(x, batch_first=False)
        return seq, lengths, False
    unbatched = x.dim() == 2
    seq = x.unsqueeze(1) if unbatched else (x.transpose(0, 1) if module.batch_first else x)
    return seq, torch.full((seq.shape[1],), seq.shape[0], dtype=torch.long), unbatched


def _initial_state(
    module: nn.RNNBase, hx: Any, seq: torch.Tensor, unbatched: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """h_0 [layers·directions, B, P] and, for an LSTM, c_0 [layers·directions, B, H]."""
    rows, B = module.num_layers * (2 if module.bidirectional else 1), seq.shape[1]
    if hx is None:
        c0 = seq.new_zeros(rows, B, module.hidden_size) if _mode(module) == CellMode.LSTM else None
        return seq.new_zeros(rows, B, module.proj_size or module.hidden_size), c0
    if _mode(module) == CellMode.LSTM:
        return (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if unbatched else (hx[0], hx[1])
    return (hx.unsqueeze(1) if unbatched else hx), None


def _run_direction(
    mode: CellMode,
    layer_in: torch.Tensor,
    alive: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor | None,
    w: dict[str, torch.Tensor | None],
    reverse: bool,
    seen: Saturation,
    layer: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """One layer in one direction over all steps; steps past a sequence's length keep its state
    (and are left out of the gates' spread: they are padding)."""
    T = layer_in.shape[0]
    out = layer_in.new_zeros(T, h.shape[-2], h.shape[-1])
    direction = Direction.REVERSE if reverse else Direction.FORWARD
    for t in range(T - 1, -1, -1) if reverse else range(T):
        nh, nc = _step(mode, layer_in[t], h, c, w, seen.observer(layer, direction, t))
        m = alive[t].unsqueeze(1).to(layer_in.device)
        h = torch.where(m, nh, h)
        if nc is not None and c is not None:
            c = torch.where(m, nc, c)
        out[t] = torch.where(m, nh, torch.zeros_like(nh))
    return out, h, c


def _run_stack(
    module: nn.RNNBase, args: tuple[Any, ...], kwargs: dict[str, Any], seen: Saturation
) -> list[torch.Tensor]:
    """Recompute nn.LSTM/GRU/RNN: every layer and direction, step by step, honouring lengths."""
    mode = _mode(module)
    x = args[0] if args else kwargs["input"]
    seq, lengths, unbatched = _sequence(module, x)
    h0, c0 = _initial_state(module, args[1] if len(args) > 1 else kwargs.get("hx"), seq, unbatched)
    D = 2 if module.bidirectional else 1
    alive = torch.arange(seq.shape[0]).unsqueeze(1) < lengths.unsqueeze(0)  # [T, B]
    seen.lengths(alive)
    layer_in = seq
    h_n, c_n = [], []
    for k in range(module.num_layers):
        outs = []
        for d in range(D):
            w = _weights(module, f"_l{k}" + ("_reverse" if d else ""))
            c = c0[k * D + d] if c0 is not None else None
            out, h, c = _run_direction(mode, layer_in, alive, h0[k * D + d], c, w, bool(d), seen, k)
            outs.append(out)
            h_n.append(h)
            if c is not None:
                c_n.append(c)
        layer_in = torch.cat(outs, dim=-1)
    return _as_outputs(module, x, layer_in, torch.stack(h_n), torch.stack(c_n) if c_n else None, unbatched)


def _as_outputs(
    module: nn.RNNBase, x: Any, output: torch.Tensor, hn: torch.Tensor, cn: torch.Tensor | None, unbatched: bool
) -> list[torch.Tensor]:
    """The recomputed tensors laid out as the module returns them (packed, unbatched, batch-first)."""
    if isinstance(x, PackedSequence):
        order = x.sorted_indices if x.sorted_indices is not None else torch.arange(output.shape[1])
        result = [_pack_like(output.index_select(1, order), x.batch_sizes)]
    elif unbatched:
        result = [output.squeeze(1)]
        hn = hn.squeeze(1)
        cn = cn.squeeze(1) if cn is not None else None
    else:
        result = [output.transpose(0, 1) if module.batch_first else output]
    return [*result, hn, *([cn] if cn is not None else [])]


def _pack_like(seq: torch.Tensor, batch_sizes: torch.Tensor) -> torch.Tensor:
    """Lay a [T, B, F] tensor (sorted batch order) out as PackedSequence.data for these batch sizes."""
    return torch.cat([seq[t, : int(n)] for t, n in enumerate(batch_sizes.tolist())], dim=0)


def _flatten(output: Any) -> list[torch.Tensor]:
    if isinstance(output, PackedSequence):
        return [output.data]
    if isinstance(output, torch.Tensor):
        return [output]
    out: list[torch.Tensor] = []
    for item in output:
        out.extend(_flatten(item))
    return out


def check(
    module: nn.RNNBase | nn.RNNCellBase, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any
) -> record.Check:
    """Recompute `module(*args, **kwargs)` through the gate equations and compare with `output`."""
    if any(p.device.type == "meta" for p in module.parameters()):
        return record.Check(False, None, None, "meta tensors hold no values, so the gate wiring was not verified")
    if isinstance(module, nn.RNNBase) and module.training and module.dropout > 0 and module.num_layers > 1:
        return record.Check(
            False,
            None,
            None,
            "inter-layer dropout is active (training mode), so outputs are random and cannot be recomputed",
        )
    real = [t.detach() for t in _flatten(output)]
    if not real:
        return record.Check(False, None, None, "the module returned no tensor to compare with")
    atol, rtol = _TOL.get(real[0].dtype, (1e-4, 1e-3))
    seen = Saturation()
    try:
        with torch.no_grad():
            if isinstance(module, nn.RNNBase):
                mine = _run_stack(module, args, kwargs, seen)
            else:
                mine = _run_cell(module, args, kwargs, seen)
    except Exception as exc:  # an input layout the equations here do not cover
        return record.Check(False, None, atol, f"recomputation failed ({type(exc).__name__}: {exc})")
    if len(mine) != len(real) or any(a.shape != b.shape for a, b in zip(mine, real, strict=True)):
        shapes = [tuple(t.shape) for t in real], [tuple(t.shape) for t in mine]
        return record.Check(False, None, atol, f"recomputed shapes {shapes[1]} differ from the real {shapes[0]}")
    err = max(
        float((a.double() - b.double()).abs().max()) if a.numel() else 0.0 for a, b in zip(mine, real, strict=True)
    )
    ok = all(torch.allclose(a, b, atol=atol, rtol=rtol) for a, b in zip(mine, real, strict=True))
    if ok:
        # The exact difference (3e-08 in one run, 1e-07 in the next) depends on thread scheduling, so
        # a verified check records the tolerance it met, not the difference: identical runs, identical files.
        return record.Check(True, None, atol, "verified", seen.result())
    err = float(f"{err:.2g}")  # a real mismatch is far above the jitter: two digits are stable
    return record.Check(False, err, atol, f"recomputed outputs differ from the module's (max |error| {err:.2g})")
