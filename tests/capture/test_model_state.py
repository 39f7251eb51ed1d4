"""A trace leaves the model exactly as it was, whatever its forward pass does to it.

Each case changes the model inside `forward` (buffers, parameters, flags, attributes, submodules),
then checks the model after `archviz.trace`/`archviz.render` against a deep copy taken before: same
objects, same values, same flags, same tree, and a plain forward pass gives the same output.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import archviz
from archviz import capture
from archviz.capture import state as model_state


class Changer(nn.Module):
    """A small model whose forward pass runs `change(self, x)` after computing its output."""

    def __init__(self, change: Callable[[Changer, torch.Tensor], None], fail: BaseException | None = None) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.w = nn.Parameter(torch.linspace(-3, 3, 4))
        self.register_buffer("running", torch.zeros(4))
        self.register_buffer("scratch", torch.ones(2), persistent=False)
        self.change = change
        self.fail = fail

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x) * self.w + self.running
        self.change(self, y)
        if self.fail is not None:
            raise self.fail
        return y


def _ema(m: Changer, y: torch.Tensor) -> None:
    m.running = 0.9 * m.running + 0.1 * y.mean(0)


def _register_again(m: Changer, y: torch.Tensor) -> None:
    m.register_buffer("running", y.mean(0).detach())
    m.register_buffer("scratch", torch.zeros(3), persistent=True)  # now persistent, another shape


def _clamp_data(m: Changer, y: torch.Tensor) -> None:
    m.w.data.clamp_(-1, 1)  # through .data: the version counter does not move


def _clamp_no_grad(m: Changer, y: torch.Tensor) -> None:
    with torch.no_grad():
        m.w.clamp_(-1, 1)
        m.fc.weight.mul_(0)


def _swap_data(m: Changer, y: torch.Tensor) -> None:
    m.w.data = torch.zeros(7)


def _new_buffer(m: Changer, y: torch.Tensor) -> None:
    m.register_buffer("seen", torch.ones(1))


def _new_parameter(m: Changer, y: torch.Tensor) -> None:
    m.register_parameter("bias2", nn.Parameter(torch.ones(4)))
    m.w = nn.Parameter(torch.zeros(4))  # an existing name, a new Parameter object


def _new_submodule(m: Changer, y: torch.Tensor) -> None:
    m.extra = nn.Linear(1, 1)
    m.fc = nn.Linear(4, 4)  # replaces a submodule
    m.cache = y  # a plain attribute


def _frozen(m: Changer, y: torch.Tensor) -> None:
    m.requires_grad_(False)
    m.fc.weight.grad = None


def _flags(m: Changer, y: torch.Tensor) -> None:
    m.eval()
    del m.scratch


CASES: dict[str, Callable[[Changer, torch.Tensor], None]] = {
    "ema_buffer_reassigned": _ema,
    "buffer_registered_again": _register_again,
    "parameter_clamped_through_data": _clamp_data,
    "parameter_clamped_under_no_grad": _clamp_no_grad,
    "parameter_data_swapped": _swap_data,
    "new_buffer": _new_buffer,
    "new_parameter": _new_parameter,
    "new_submodule_and_attribute": _new_submodule,
    "requires_grad_off": _frozen,
    "training_flag_and_deleted_buffer": _flags,
}


def _snapshot(model: nn.Module) -> dict[str, Any]:
    """The objects and flags the model holds, by reference (for identity checks)."""
    return {
        "modules": dict(model.named_modules()),
        "attrs": {n: dict(m.__dict__) for n, m in model.named_modules()},
        "params": dict(model.named_parameters()),
        "buffers": dict(model.named_buffers()),
        "grads": {n: p.grad for n, p in model.named_parameters()},
        "versions": {n: t._version for n, t in [*model.named_parameters(), *model.named_buffers()]},
    }


def assert_as_before(model: nn.Module, ref: nn.Module, before: dict[str, Any]) -> None:
    """`model` holds the very objects of `before` and the values and flags of the deep copy `ref`."""
    now = _snapshot(model)
    assert now["modules"].keys() == before["modules"].keys()
    assert all(now["modules"][n] is m for n, m in before["modules"].items())
    for name, attrs in before["attrs"].items():
        assert now["attrs"][name].keys() == attrs.keys(), name
        assert all(now["attrs"][name][k] is v for k, v in attrs.items()), name
    assert list(now["params"]) == list(before["params"])
    assert all(now["params"][n] is p for n, p in before["params"].items())
    assert list(now["buffers"]) == list(before["buffers"])
    assert all(now["buffers"][n] is b for n, b in before["buffers"].items())
    assert all(now["grads"][n] is g for n, g in before["grads"].items())
    assert now["versions"] == before["versions"]
    theirs = dict(ref.named_modules())
    for name, m in model.named_modules():
        r = theirs[name]
        assert m.training == r.training, name
        assert m._non_persistent_buffers_set == r._non_persistent_buffers_set, name
        for pn, p in m.named_parameters(recurse=False):
            q = r._parameters[pn]
            assert q is not None
            assert torch.equal(p, q) and p.requires_grad == q.requires_grad, f"{name}.{pn}"
            assert (p.grad is None) == (q.grad is None) and (p.grad is None or torch.equal(p.grad, q.grad))
        for bn, b in m.named_buffers(recurse=False):
            assert torch.equal(b, theirs[name]._buffers[bn]), f"{name}.{bn}"
    assert model.state_dict().keys() == ref.state_dict().keys()


def _prepared(change: Callable[[Changer, torch.Tensor], None], **kw: Any) -> tuple[Changer, Changer, dict[str, Any]]:
    torch.manual_seed(0)
    model = Changer(change, **kw).train()
    model.fc.weight.grad = torch.full_like(model.fc.weight, 0.5)  # a grad to keep (by object)
    ref = copy.deepcopy(model)
    ref.fc.weight.grad = torch.full_like(ref.fc.weight, 0.5)  # deepcopy leaves grads behind
    return model, ref, _snapshot(model)


def _same_forward(model: nn.Module, ref: nn.Module) -> None:
    x = torch.randn(3, 4)
    with torch.no_grad():
        assert torch.equal(model(x), ref(x))


@pytest.mark.parametrize("case", list(CASES))
def test_trace_leaves_the_model_as_it_was(case: str) -> None:
    model, ref, before = _prepared(CASES[case])
    trace = archviz.trace(model, torch.randn(3, 4))
    assert trace.failure is None and trace.lint() == []
    assert not any("not restored" in n for n in trace.calls[0].notes)
    assert_as_before(model, ref, before)
    _same_forward(model, ref)


def test_containers_empty_before_the_pass_are_empty_after_it() -> None:
    """A hook dict, a list and a set the forward pass fills (empty when the trace began, so kept without a
    copy of their contents) are emptied again; one with contents gets exactly them back."""
    seen: list[str] = []

    def fill(m: Changer, y: torch.Tensor) -> None:
        m.fc.register_forward_hook(lambda *a: seen.append("hook"))
        m.log.append(y.shape)
        m.names.add("x")
        m.kept.append("new")
        m.kept.remove("old")

    model = _prepared(fill)[0]
    model.log, model.names, model.kept = [], set(), ["old"]
    log, names, kept = model.log, model.names, model.kept
    archviz.trace(model, torch.randn(3, 4))
    assert model.log is log and log == [] and model.names is names and names == set()
    assert model.kept is kept and kept == ["old"] and len(model.fc._forward_hooks) == 0
    model(torch.randn(3, 4))
    assert seen == []  # the hook the traced pass registered is gone


def test_render_leaves_the_model_as_it_was(tmp_path: Path) -> None:
    def everything(m: Changer, y: torch.Tensor) -> None:
        for change in CASES.values():
            change(m, y)

    model, ref, before = _prepared(everything)
    paths = archviz.render(model, torch.randn(3, 4), out=tmp_path, formats="svg,json")
    assert len(paths) == 2
    assert_as_before(model, ref, before)
    _same_forward(model, ref)


def test_batchnorm_in_training_mode_keeps_its_running_statistics() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2)).train()
    model(torch.randn(2, 3, 8, 8))  # the lazy layer materialises in a plain call, as users do
    ref = copy.deepcopy(model)
    before = _snapshot(model)
    bn = model[1]
    assert isinstance(bn, nn.BatchNorm2d) and bn.running_mean is not None
    trace = archviz.trace(model, torch.randn(2, 3, 8, 8) * 5 + 3)
    assert trace.failure is None
    assert_as_before(model, ref, before)
    assert int(bn.num_batches_tracked) == 1
    _same_forward_image(model, ref)


def _same_forward_image(model: nn.Module, ref: nn.Module) -> None:
    x = torch.randn(2, 3, 8, 8)
    model.eval()
    ref.eval()
    with torch.no_grad():
        assert torch.equal(model(x), ref(x))


def test_an_embedding_with_max_norm_keeps_its_weight() -> None:
    # F.embedding renormalises the rows it reads in place, inside one call the scoped mode sees whole
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4, max_norm=0.5), nn.Flatten(), nn.Linear(8, 2))
    ref = copy.deepcopy(model)
    before = _snapshot(model)
    trace = archviz.trace(model, torch.tensor([[1, 2], [3, 4]]))
    assert trace.failure is None
    assert_as_before(model, ref, before)


def test_a_lazy_module_materialised_during_the_pass_stays_materialised() -> None:
    model = nn.Sequential(nn.LazyLinear(3), nn.ReLU())
    kept = model_state.ModelState.take(list(model.modules()))
    model(torch.randn(2, 5))  # the pass a trace would make: the lazy layer becomes an nn.Linear
    kept.restore()
    layer = model[0]
    assert type(layer) is nn.Linear and layer.in_features == 5 and layer.weight.shape == (3, 5)
    assert model(torch.randn(2, 5)).shape == (2, 3) and kept.notes == []


def test_failure_after_a_state_change_leaves_the_model_as_it_was() -> None:
    def everything(m: Changer, y: torch.Tensor) -> None:
        for change in (_ema, _clamp_data, _new_submodule, _frozen):
            change(m, y)

    model, ref, before = _prepared(everything, fail=RuntimeError("after the change"))
    trace = archviz.trace(model, torch.randn(3, 4))
    assert trace.failure is not None and trace.failure.message == "after the change"
    assert_as_before(model, ref, before)
    model.fail = ref.fail = None
    _same_forward(model, ref)


def test_keyboard_interrupt_after_a_state_change_leaves_the_model_as_it_was() -> None:
    def everything(m: Changer, y: torch.Tensor) -> None:
        for change in (_register_again, _clamp_no_grad, _new_parameter, _flags):
            change(m, y)

    model, ref, before = _prepared(everything, fail=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        capture.trace_model(model, (torch.randn(3, 4),))
    assert_as_before(model, ref, before)
    model.fail = ref.fail = None
    _same_forward(model, ref)


def test_an_autograd_graph_built_before_the_trace_still_runs_backward() -> None:
    model, _, _ = _prepared(_clamp_no_grad)
    model.change = lambda m, y: None
    loss = model(torch.randn(3, 4)).sum()  # saves w and fc.weight at their current versions
    model.change = _clamp_no_grad
    archviz.trace(model, torch.randn(3, 4))
    loss.backward()  # would raise "modified by an inplace operation" had a version moved
    assert model.w.grad is not None


def test_state_past_the_copy_limit_is_named_in_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_state, "COPY_LIMIT", 0)
    model, _, before = _prepared(_clamp_no_grad)
    trace = archviz.trace(model, torch.randn(3, 4))
    notes = " ".join(trace.calls[0].notes)
    assert "not restored" in notes and "w" in notes and "fc.weight" in notes
    assert "archviz copies up to" in notes
    # what needs no copy is still put back: the objects, the tree, the flags
    assert all(dict(model.named_parameters())[n] is p for n, p in before["params"].items())


def test_a_meta_model_is_not_copied() -> None:
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(4096, 4096), nn.BatchNorm1d(4096)).train()
    kept = model_state.ModelState.take(list(model.modules()), limit=0)
    assert kept.uncopied == 0 and all(t.copy is None for t in kept.tensors)
    before = _snapshot(model)
    trace = archviz.trace(model, torch.zeros(2, 4096, device="meta"))
    assert trace.failure is None and trace.calls[0].notes == ()
    assert all(dict(model.named_parameters())[n] is p for n, p in before["params"].items())


def _copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the tensors whose values a trace copies, in order."""
    taken: list[str] = []
    real = model_state._copy

    def counted(entry):  # type: ignore[no-untyped-def]
        taken.append(entry.name)
        return real(entry)

    monkeypatch.setattr(model_state, "_copy", counted)
    return taken


def test_parameters_are_copied_only_when_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights a forward pass only reads cost no copy (a BERT-base's 440 MB); the buffers, which passes
    do write, are copied as before."""
    taken = _copies(monkeypatch)
    model = Changer(lambda m, y: None)
    archviz.trace(model, torch.randn(3, 4))
    assert taken and not {"fc.weight", "fc.bias", "w"} & set(taken)
    assert set(taken) <= {"running", "scratch"}


@pytest.mark.parametrize("change", [_clamp_data, _clamp_no_grad])
def test_a_parameter_written_in_place_is_copied_first_and_put_back(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[Changer, torch.Tensor], None]
) -> None:
    taken = _copies(monkeypatch)
    model, _, before = _prepared(change)
    weights = model.w.detach().clone()
    archviz.trace(model, torch.randn(3, 4))
    assert "w" in taken and "fc.bias" not in taken  # only what the pass wrote (through `.data` too)
    assert torch.equal(model.w.detach(), weights)
    assert all(dict(model.named_parameters())[n] is p for n, p in before["params"].items())
