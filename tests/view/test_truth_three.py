"""Wiring defects seen on public models (issue 21), each on a small model written the way that code is."""

from __future__ import annotations

import math

import torch
from conftest import tensor_shapes
from torch import nn

from archviz import capture, view
from archviz.kinds import NodeKind


def _into(g: view.Graph, nid: str) -> list[str]:
    return [e.src for e in g.edges if e.dst == nid]


# ---- 1. an input handed back unchanged --------------------------------------------------------------


class _ConvModule(nn.Module):
    """A conformer-style block: reads a padding mask, returns the sequence only."""

    def __init__(self) -> None:
        super().__init__()
        self.ff = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        return self.ff(x).masked_fill(pad.unsqueeze(-1), 0.0)


class _Encoder(nn.Module):
    """Like torchaudio's Conformer: `lengths` comes back as it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([_ConvModule() for _ in range(2)])

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pad = torch.arange(x.size(1))[None, :] >= lengths[:, None]
        for layer in self.layers:
            x = layer(x, pad)
        return x, lengths


class _Wrapper(nn.Module):
    """The encoder's pair handed on by its caller (an RNN-T's transcriber)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = _Encoder()

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x, lengths)


def test_a_length_handed_back_unchanged_is_wired_from_its_input() -> None:
    x, lengths = torch.randn(2, 5, 8), torch.tensor([5, 3])
    for model in (_Encoder(), _Wrapper()):
        trace = capture.trace_model(model, (x, lengths))
        assert [o.shape for o in trace.outputs] == tensor_shapes(model(x, lengths))
        for depth in (None, 1, 2):
            g = view.build(trace, view.View(depth=depth))
            ins = {n.subtitle: n.id for n in g.nodes if n.kind == NodeKind.INPUT}
            outs = [n.id for n in g.nodes if n.kind == NodeKind.OUTPUT]
            assert len(outs) == 2 and all(_into(g, o) for o in outs), (type(model).__name__, depth)
            if depth is None:
                assert _into(g, outs[1]) == [ins["lengths"]]
                assert next(e.label for e in g.edges if e.dst == outs[1]) == "[2] int64"


# ---- 2. computation on an input is no constant -----------------------------------------------------


def _sinusoidal(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    exponent = -math.log(10000.0) * torch.arange(0, half, dtype=torch.float32)
    exponent = exponent / half
    freqs = torch.exp(exponent)
    emb = timesteps[:, None].float() * freqs[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    return emb


class _TimeProj(nn.Module):
    def forward(self, timesteps: torch.Tensor) -> torch.Tensor:
        return _sinusoidal(timesteps, 16)


class _Denoiser(nn.Module):
    """A diffusion model's timestep path: expand the timestep, embed it in a module, project it."""

    def __init__(self) -> None:
        super().__init__()
        self.time_proj = _TimeProj()
        self.time_mlp = nn.Linear(16, 32)
        self.conv = nn.Conv2d(32, 32, 3, padding=1)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        timesteps = timestep.expand(sample.shape[0])
        t_emb = self.time_proj(timesteps)
        return self.conv(sample + self.time_mlp(t_emb)[:, :, None, None])


def test_a_timestep_embedding_is_named_for_what_it_makes_and_keeps_its_input() -> None:
    model, args = _Denoiser(), (torch.randn(2, 32, 4, 4), torch.tensor([7]))
    trace = capture.trace_model(model, args)
    assert [o.shape for o in trace.outputs] == tensor_shapes(model(*args))
    g = view.build(trace)
    titles = [n.title for n in g.nodes]
    assert "constants" not in titles and "mask construction" not in titles
    (emb,) = [n for n in g.nodes if n.title == "emb"]  # the variable its last op is assigned to
    assert emb.notes == ("10 ops: arange, mul, div, exp, getitem, sin, cos, cat",)
    # what it computes from reaches it: an edge from the timestep's path into the group
    timestep = next(n.id for n in g.nodes if n.kind == NodeKind.INPUT and n.subtitle == "timestep")
    reach, todo = {timestep}, [timestep]
    while todo:
        cur = todo.pop()
        for e in g.edges:
            if e.src == cur and e.dst not in reach:
                reach.add(e.dst)
                todo.append(e.dst)
    assert emb.id in reach
    assert any(line.endswith("[2, 16]") for line in emb.outputs)
