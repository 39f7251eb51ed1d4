"""Recompute built-in recurrent modules from their own weights and compare with their real outputs.

This is the torch side of the gates stage: the tracer calls `check` from its post-hook, while the
tensors still exist, and stores only the verdict (a `record.Check`) and the module's configuration.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .. import record

RECURRENT = (nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell, nn.RNNCell)
_TOL = {torch.float64: (1e-9, 1e-7), torch.float32: (2e-5, 1e-4), torch.float16: (5e-3, 5e-3), torch.bfloat16: (3e-2, 3e-2)}


def config(module: nn.Module) -> tuple[tuple[str, str], ...]:
    """The settings of a built-in recurrent module that decide its wiring, as text pairs."""
    cell = isinstance(module, (nn.LSTMCell, nn.GRUCell, nn.RNNCell))
    mode = _mode(module)
    items: dict[str, Any] = {
        "mode": mode,
        "input_size": module.input_size,
        "hidden_size": module.hidden_size,
        "bias": module.bias,
        "cell": cell,
        "num_layers": 1 if cell else module.num_layers,
        "bidirectional": False if cell else module.bidirectional,
        "batch_first": False if cell else module.batch_first,
        "proj_size": 0 if cell else getattr(module, "proj_size", 0),
        "dropout": 0.0 if cell else module.dropout,
        "training": module.training,
    }
    return tuple((k, str(v)) for k, v in items.items())


def _mode(module: nn.Module) -> str:
    if isinstance(module, (nn.LSTM, nn.LSTMCell)):
        return "LSTM"
    if isinstance(module, (nn.GRU, nn.GRUCell)):
        return "GRU"
    return "RNN_RELU" if getattr(module, "nonlinearity", "tanh") == "relu" else "RNN_TANH"


def _step(mode: str, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None, w: dict[str, torch.Tensor | None]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One time step of PyTorch's documented equations; `w` holds W_ih, W_hh, b_ih, b_hh, W_hr."""
    gi = x @ w["ih"].T + (w["b_ih"] if w["b_ih"] is not None else 0)  # type: ignore[union-attr]
    gh = h @ w["hh"].T + (w["b_hh"] if w["b_hh"] is not None else 0)  # type: ignore[union-attr]
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, -1)
        assert c is not None
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        if w["hr"] is not None:
            h = h @ w["hr"].T
        return h, c
    if mode == "GRU":
        ir, iz, in_ = gi.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r = torch.sigmoid(ir + hr)
        z = torch.sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (torch.relu(pre) if mode == "RNN_RELU" else torch.tanh(pre)), None


def _weights(module: nn.Module, suffix: str) -> dict[str, torch.Tensor | None]:
    get = lambda name: getattr(module, name + suffix, None)
    return {"ih": get("weight_ih"), "hh": get("weight_hh"), "b_ih": get("bias_ih"), "b_hh": get("bias_hh"), "hr": get("weight_hr")}


def _run_cell(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[torch.Tensor]:
    mode = _mode(module)
    x = args[0] if args else kwargs["input"]
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    batched = x.dim() == 2
    x = x if batched else x.unsqueeze(0)
    H = module.hidden_size
    zeros = x.new_zeros(x.shape[0], H)
    if mode == "LSTM":
        h, c = (zeros, zeros) if hx is None else hx if batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
    else:
        h, c = (zeros if hx is None else (hx if batched else hx.unsqueeze(0))), None
    h, c = _step(mode, x, h, c, _weights(module, ""))
    outs = [h] if c is None else [h, c]
    return outs if batched else [t.squeeze(0) for t in outs]


def _run_stack(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[torch.Tensor]:
    """Recompute nn.LSTM/GRU/RNN: every layer and direction, step by step, honouring lengths."""
    mode = _mode(module)
    x = args[0] if args else kwargs["input"]
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    packed = isinstance(x, PackedSequence)
    if packed:
        seq, lengths = pad_packed_sequence(x, batch_first=False)  # [T, B, I], the caller's batch order
        unbatched = False
    else:
        unbatched = x.dim() == 2
        seq = x.unsqueeze(1) if unbatched else (x.transpose(0, 1) if module.batch_first else x)
        lengths = torch.full((seq.shape[1],), seq.shape[0], dtype=torch.long)
    T, B = seq.shape[0], seq.shape[1]
    D = 2 if module.bidirectional else 1
    H = module.hidden_size
    P = getattr(module, "proj_size", 0) or H
    if hx is None:
        h0 = seq.new_zeros(module.num_layers * D, B, P)
        c0 = seq.new_zeros(module.num_layers * D, B, H)
    elif mode == "LSTM":
        h0, c0 = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if unbatched else hx
    else:
        h0, c0 = (hx.unsqueeze(1) if unbatched else hx), None
    alive = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)  # [T, B]
    layer_in = seq
    h_n, c_n = [], []
    for k in range(module.num_layers):
        outs = []
        for d in range(D):
            w = _weights(module, f"_l{k}" + ("_reverse" if d else ""))
            h = h0[k * D + d]
            c = c0[k * D + d] if mode == "LSTM" else None  # type: ignore[index]
            out = seq.new_zeros(T, B, P)
            for t in range(T - 1, -1, -1) if d else range(T):
                nh, nc = _step(mode, layer_in[t], h, c, w)
                m = alive[t].unsqueeze(1).to(seq.device)
                h = torch.where(m, nh, h)
                if nc is not None:
                    c = torch.where(m, nc, c)
                out[t] = torch.where(m, nh, torch.zeros_like(nh))
            outs.append(out)
            h_n.append(h)
            if c is not None:
                c_n.append(c)
        layer_in = torch.cat(outs, dim=-1)
    output = layer_in
    hn = torch.stack(h_n)
    cn = torch.stack(c_n) if c_n else None
    if packed:
        assert isinstance(x, PackedSequence)
        order = x.sorted_indices if x.sorted_indices is not None else torch.arange(B)
        data = _pack_like(output.index_select(1, order), x.batch_sizes)
        result = [data]
    elif unbatched:
        result = [output.squeeze(1)]
        hn = hn.squeeze(1)
        cn = cn.squeeze(1) if cn is not None else None
    else:
        result = [output.transpose(0, 1) if module.batch_first else output]
    return result + [hn] + ([cn] if cn is not None else [])


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


def check(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> record.Check:
    """Recompute `module(*args, **kwargs)` through the gate equations and compare with `output`."""
    if any(p.device.type == "meta" for p in module.parameters()):
        return record.Check(False, None, None, "meta tensors hold no values, so the gate wiring was not verified")
    stacked = not isinstance(module, (nn.LSTMCell, nn.GRUCell, nn.RNNCell))
    if stacked and module.training and module.dropout > 0 and module.num_layers > 1:
        return record.Check(
            False, None, None, "inter-layer dropout is active (training mode), so outputs are random and cannot be recomputed"
        )
    real = [t.detach() for t in _flatten(output)]
    if not real:
        return record.Check(False, None, None, "the module returned no tensor to compare with")
    atol, rtol = _TOL.get(real[0].dtype, (1e-4, 1e-3))
    try:
        with torch.no_grad():
            mine = _run_stack(module, args, kwargs) if stacked else _run_cell(module, args, kwargs)
    except Exception as exc:  # an input layout the equations here do not cover
        return record.Check(False, None, atol, f"recomputation failed ({type(exc).__name__}: {exc})")
    if len(mine) != len(real) or any(a.shape != b.shape for a, b in zip(mine, real)):
        shapes = [tuple(t.shape) for t in real], [tuple(t.shape) for t in mine]
        return record.Check(False, None, atol, f"recomputed shapes {shapes[1]} differ from the real {shapes[0]}")
    err = max(float((a.double() - b.double()).abs().max()) if a.numel() else 0.0 for a, b in zip(mine, real))
    ok = all(torch.allclose(a, b, atol=atol, rtol=rtol) for a, b in zip(mine, real))
    note = "verified" if ok else f"recomputed outputs differ from the module's (max |error| {err:.3g})"
    return record.Check(ok, err, atol, note)
