"""The tracer records real shapes, data flow and source lines, and leaves the model as it was."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from conftest import load_example, post_order, tensor_shapes, trace_example
from torch import nn

from archviz import capture
from archviz.errors import TraceError
from archviz.kinds import CallKind

EXAMPLES = ("gru", "mogrifier", "bilstm_classifier")


def _plain_module_shapes(model: nn.Module, args: tuple, kwargs: dict) -> list[tuple[str, list[tuple[int, ...]]]]:
    """Module output shapes from an independent forward pass with plain hooks, in call order."""
    seen: list[tuple[str, list[tuple[int, ...]]]] = []
    names = {id(m): n for n, m in model.named_modules()}
    handles = []

    def hook(module: nn.Module, _inp: object, out: object) -> None:
        seen.append((names[id(module)], tensor_shapes(out)))

    for m in model.modules():
        handles.append(m.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
    return seen


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_module_output_shape_matches_a_plain_forward(name: str) -> None:
    model, args, kwargs = load_example(name)
    expected = _plain_module_shapes(model, args, kwargs)
    trace = trace_example(name)
    got = [(c.name, [t.shape for t in c.outputs]) for c in post_order(trace)]
    assert got == expected
    assert trace.failure is None


def test_gru_data_flow_links_each_layer_to_what_fed_it() -> None:
    trace = trace_example("gru")
    first_cat = next(c for c in trace.calls if c.type == "torch.cat")
    producers = [trace.call(t.producer).name for t in first_cat.inputs]
    assert producers == ["__getitem__", "zeros"]
    gate = next(c for c in trace.calls if c.name == "cells.0.update_gate")
    assert gate.inputs[0].producer == first_cat.id
    assert gate.inputs[0].shape == (3, 30)
    assert trace.inputs[0].producer == "input"
    assert trace.outputs[0].producer == trace.calls[0].id


def test_source_lines_point_into_the_users_file() -> None:
    trace = trace_example("gru")
    sig = [c for c in trace.calls if c.name == "sigmoid"][:2]
    assert [c.source.code.split("=")[0].strip() for c in sig] == ["z", "r"]
    assert all(c.source.file == "gru.py" for c in sig)


def test_packed_sequence_and_namedtuple_paths_are_recorded() -> None:
    trace = trace_example("bilstm_classifier")
    lstm = next(c for c in trace.calls if c.name == "lstm")
    paths = {t.path: t.shape for t in lstm.inputs}
    lengths = [12, 9, 7, 3]
    assert paths["args[0].data"] == (sum(lengths), 16)
    assert paths["args[0].batch_sizes"] == (12,)
    assert {t.path for t in lstm.outputs} >= {"output[0].data", "output[1][0]", "output[1][1]"}
    pack = next(c for c in trace.calls if c.name == "pack_padded_sequence")
    assert pack.kind == CallKind.FUNCTION
    assert lstm.inputs[0].producer == pack.id


class _Inner(nn.Module):
    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return x * mask


class _Outer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _Inner()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x, mask=torch.ones_like(x))


def test_keyword_tensor_arguments_get_kwargs_paths() -> None:
    trace = capture.trace_model(_Outer(), (torch.randn(2, 3),))
    inner = next(c for c in trace.calls if c.name == "inner")
    assert [t.path for t in inner.inputs] == ["args[0]", "kwargs['mask']"]
    assert inner.inputs[1].producer == next(c.id for c in trace.calls if c.name == "ones_like")


class _Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.b = nn.Linear(16, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.eval()  # a forward that flips its own mode: archviz must restore the user's flag
        return self.b(self.drop(self.a(x)))


def _hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_failed_forward_leaves_model_untouched_and_keeps_partial_record() -> None:
    model = _Broken().train()
    model.a.weight.requires_grad_(False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grad_before = torch.is_grad_enabled()
    trace = capture.trace_model(model, (torch.randn(3, 4),))
    assert model.training and model.a.training
    assert _hook_count(model) == 0
    assert not nn.modules.module._global_forward_hooks and not nn.modules.module._global_forward_pre_hooks
    assert torch._C._len_torch_function_stack() == 0
    assert torch.is_grad_enabled() == grad_before
    assert not model.a.weight.requires_grad and model.b.weight.requires_grad
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert trace.failure is not None and trace.failure.exc_type == "RuntimeError"
    failing = trace.call(trace.failure.call)
    assert failing.name == "b" and failing.inputs[0].shape == (3, 8)
    assert [c.name for c in trace.calls if c.kind == "module"] == ["", "a", "drop", "b"]


def test_keyboard_interrupt_still_cleans_up() -> None:
    class Stop(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.lin(x)
            raise KeyboardInterrupt

    model = Stop()
    with pytest.raises(KeyboardInterrupt):
        capture.trace_model(model, (torch.randn(1, 2),))
    assert _hook_count(model) == 0
    assert torch._C._len_torch_function_stack() == 0
    # a later trace works: the exclusivity guard was released
    assert capture.trace_model(nn.Linear(2, 2), (torch.randn(1, 2),)).failure is None


def test_nested_trace_is_refused() -> None:
    class Nester(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            capture.trace_model(nn.Identity(), (x,))
            return x

    trace = capture.trace_model(Nester(), (torch.randn(2),))
    assert trace.failure is not None and trace.failure.exc_type == "TraceError"
    with pytest.raises(TraceError):
        with capture.ScriptCapture():
            capture.trace_model(nn.Identity(), (torch.randn(2),))


def _contains_tensor(value: object) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if dataclasses.is_dataclass(value):
        return any(_contains_tensor(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return any(_contains_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_tensor(v) for v in value.values())
    return False


def test_record_holds_no_tensors_or_modules() -> None:
    trace = trace_example("bilstm_classifier")
    assert not _contains_tensor(trace)
    assert all(isinstance(c.params, int) for c in trace.calls)


def test_grad_mode_and_training_flag_are_the_users() -> None:
    model, args, kwargs = load_example("gru")
    model.eval()
    trace = capture.trace_model(model, args, kwargs)
    assert dict(trace.meta)["training"] == "False"
    assert not model.training
