"""The doctor's meta runs (capture/meta.py): shapes only, the model put back, and trusted only where
meta checks what the CPU checks; the experiments learn the same from them as from real runs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from archviz import capture
from archviz.app import experiments
from archviz.app.tracing import trace_live
from archviz.capture import meta


class Net(nn.Module):
    """A small CNN with a shared (tied) weight, a buffer, a tensor made inside forward and a transposed conv."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.head = nn.Linear(4, 5)
        self.tail = nn.Linear(4, 5)
        self.tail.weight = self.head.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(torch.relu(self.bn(self.conv(x))))
        bias = torch.zeros(y.shape[1])  # made here: on meta while the run is on meta
        z = (y + bias[:, None, None]).mean(dim=(2, 3))
        return self.head(z) + self.tail(z)


def test_a_meta_run_makes_the_real_runs_calls_and_shapes_and_puts_the_model_back() -> None:
    model = Net().eval()
    x = torch.randn(2, 3, 6, 6)
    before = {n: (t, t.device, t.requires_grad) for n, t in [*model.named_parameters(), *model.named_buffers()]}
    real = capture.trace_model(model, (x,), {}, verify=False)
    with meta.on_meta(model, (x,), {}) as given:
        assert given is not None and given[0][0].is_meta
        assert model.conv.weight.is_meta and model.tail.weight is model.head.weight  # tied stays tied
        shadow = capture.trace_model(model, *given, verify=False)
    assert shadow.failure is None and {t.device for c in shadow.calls for t in c.outputs} == {"meta"}
    assert meta.same_shapes(real, shadow)
    assert [t.shape for t in shadow.outputs] == [(2, 5)]
    after = {n: (t, t.device, t.requires_grad) for n, t in [*model.named_parameters(), *model.named_buffers()]}
    assert after == before
    assert all(a is b for (a, _, _), (b, _, _) in zip(after.values(), before.values(), strict=True))


def test_the_weights_come_back_when_the_meta_run_raises() -> None:
    model = Net().eval()
    weight = model.conv.weight
    with pytest.raises(RuntimeError, match="boom"), meta.on_meta(model, (torch.randn(1, 3, 4, 4),), {}):
        raise RuntimeError("boom")
    assert model.conv.weight is weight and not weight.is_meta


def test_inputs_or_weights_that_cannot_go_to_meta_give_none() -> None:
    packed = nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2, 4), torch.tensor([3, 2]))
    with meta.on_meta(nn.LSTM(4, 5), (packed,), {}) as given:
        assert given is None
    with meta.on_meta(nn.LazyLinear(3), (torch.randn(2, 4),), {}) as given:
        assert given is None


def test_a_transposed_conv_whose_channels_do_not_match_is_not_trusted() -> None:
    # the CPU refuses 9 channels for a weight that takes 8; meta's kernel does not check
    model = Net().eval()
    good, bad = torch.randn(2, 8, 5, 5), torch.randn(2, 9, 5, 5)
    for x, refused in ((good, False), (bad, True)):
        with meta.on_meta(model.up, (x,), {}) as given:
            shadow = capture.trace_model(model.up, *given, verify=False)
        assert shadow.failure is None
        assert meta.unchecked(shadow) is refused
    with pytest.raises(RuntimeError):
        model.up(bad)


def test_indexing_by_integer_values_is_not_trusted_but_slicing_an_integer_tensor_is() -> None:
    emb = nn.Embedding(10, 4)
    ids = torch.tensor([[1, 2, 3]])
    assert meta.unchecked(capture.trace_model(emb, (ids,), {}, verify=False))

    class Take(nn.Module):
        def forward(self, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            return x[:, 0] + x[idx].sum()

    class Slice(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :2] * 2

    assert meta.unchecked(capture.trace_model(Take(), (torch.randn(3, 4), torch.tensor([0, 2])), {}, verify=False))
    assert not meta.unchecked(capture.trace_model(Slice(), (ids,), {}, verify=False))


def test_the_experiments_learn_the_same_on_meta_as_on_real_tensors(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Net().eval()
    torch.manual_seed(0)
    target = trace_live(model, (torch.randn(2, 3, 6, 6),), {})
    monkeypatch.setattr(meta, "MIN_ELEMENTS", 0)  # small enough to be worth it here
    monkeypatch.setattr(meta, "MIN_ELEMENTS_PER_CALL", 0)
    assert experiments.meta_works(target, None)
    on_meta, notes_meta = experiments.experiments(target)
    monkeypatch.setattr(experiments, "meta_works", lambda *a: False)
    real, notes_real = experiments.experiments(target)
    assert notes_meta == notes_real
    assert [(e.group, e.size, e.members, [t.size for t in e.trials], [t.error for t in e.trials]) for e in on_meta] == [
        (e.group, e.size, e.members, [t.size for t in e.trials], [t.error for t in e.trials]) for e in real
    ]
    for e_meta, e_real in zip(on_meta, real, strict=True):
        for a, b in zip(e_meta.trials, e_real.trials, strict=True):
            assert (a.trace is None) == (b.trace is None)
            if a.trace is not None and a.trace.failure is None:
                assert meta.same_shapes(a.trace, b.trace)
    # the channel axis is fixed (the first conv takes 3), and the reason is the CPU's own error
    fixed = [n for n in notes_real if "dim 1 = 3 is fixed" in n]
    assert fixed and fixed == [n for n in notes_meta if "dim 1 = 3 is fixed" in n]


def test_meta_runs_are_chosen_for_arithmetic_per_call_not_for_many_small_calls() -> None:
    """A meta call costs a fixed time in torch's Python kernels: many small calls run faster for real."""
    many = nn.Sequential(*(nn.Linear(64, 64) for _ in range(600))).eval()  # 600 calls of 16 k MACs
    few = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)).eval()
    small = capture.trace_model(many, (torch.randn(64, 64),), {}, verify=False)
    big = capture.trace_model(few, (torch.randn(2, 64, 64, 64),), {}, verify=False)
    elements = sum(math.prod(t.shape) for c in small.calls for t in c.outputs)
    assert elements >= meta.MIN_ELEMENTS  # enough in all: only the per-call test says no
    assert not meta.worth(small)
    assert meta.worth(big)  # 2 calls of 302 M MACs each
