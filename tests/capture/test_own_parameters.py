"""`modules.own_parameters` is `named_parameters(recurse=False)` read directly: the same names and objects,
in the same order, on every module of real models, with a parameter registered under two names, a
`None` parameter (`bias=False`) and a parametrized weight."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrizations

from archviz.capture import modules


class _Odd(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(3))
        self.alias = self.w  # the same Parameter under a second name: listed once
        self.register_parameter("gone", None)
        self.fc = nn.Linear(3, 3, bias=False)
        self.normed = parametrizations.weight_norm(nn.Linear(3, 2))
        self.register_buffer("twice", torch.zeros(1))


def test_own_parameters_are_named_parameters_without_recursion() -> None:
    models = [
        _Odd(),
        nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32), 2),
        nn.LSTM(4, 8, 2, bidirectional=True),
        nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.GRU(2, 2)),
    ]
    checked = 0
    for model in models:
        for m in model.modules():
            mine = modules.own_parameters(m)
            theirs = list(m.named_parameters(recurse=False))
            assert [(n, id(p)) for n, p in mine] == [(n, id(p)) for n, p in theirs], type(m).__name__
            checked += len(mine)
    odd = models[0]
    assert [n for n, _ in modules.own_parameters(odd)] == ["w"]
    assert modules.own_parameters(odd.fc) == [("weight", odd.fc.weight)]
    assert checked > 30
