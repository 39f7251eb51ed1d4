"""Property test: random small models traced by archviz agree with a plain forward pass.

Hypothesis builds `nn.Sequential` stacks (sometimes with one nested Sequential) of Linear,
Conv1d, ReLU, Tanh, Dropout, LSTM and GRU layers with sizes 1..8 on a (batch, A, B) input, and
sometimes puts a deliberate size mismatch into one layer. Every layer takes a 3-d tensor, so any
stack is well-formed apart from that mismatch:

    Linear(B -> out)        (N, A, B) -> (N, A, out)
    Conv1d(A -> out, k)     (N, A, B) -> (N, out, B - k + 1)
    LSTM/GRU(B -> hidden)   (N, A, B) -> (N, A, hidden)    batch_first, output tensor only
    ReLU / Tanh / Dropout   shape kept

The expected behaviour comes from running the model ourselves with plain module hooks; archviz
must reproduce it through `capture.trace_model`, and leave no hooks and no TorchFunctionMode behind.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from conftest import post_order, tensor_shapes
from hypothesis import event, given, settings
from hypothesis import strategies as st
from torch import nn

from archviz import capture, view
from archviz.draw import dot
from archviz.errors import ArchvizError

DOT = shutil.which("dot")
SIZES = st.integers(1, 8)
KINDS = ("linear", "conv1d", "relu", "tanh", "dropout", "lstm", "gru")


class LastOutput(nn.Module):
    """An LSTM/GRU that returns only its output sequence."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return out


@dataclass(frozen=True)
class Spec:
    """A model as plain data, so Hypothesis can show and shrink it."""

    input_shape: tuple[int, int, int]
    layers: tuple[tuple[Any, ...], ...]
    nest: tuple[int, int] | None
    training: bool
    mismatch: int | None  # index of the layer built with a wrong size, if any


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    n, a, b = draw(st.integers(1, 3)), draw(SIZES), draw(SIZES)
    input_shape = (n, a, b)
    count = draw(st.integers(1, 5))
    mismatch = draw(st.integers(0, count - 1)) if draw(st.integers(0, 2)) == 0 else None
    wrong = draw(st.integers(1, 3))  # how far off the mismatched size is
    bad: int | None = None
    layers = []
    for i in range(count):
        kind = draw(st.sampled_from(KINDS))
        off = wrong if mismatch is not None and bad is None and i >= mismatch else 0
        if kind == "linear":
            out = draw(SIZES)
            layers.append((kind, b + off, out))
            b = out
        elif kind == "conv1d":
            out = draw(SIZES)
            k = draw(st.integers(1, min(3, b)))
            if off and draw(st.booleans()):
                layers.append((kind, a, out, b + off))  # kernel longer than the sequence
            else:
                layers.append((kind, a + off, out, k))
            a, b = out, b - k + 1
        elif kind in ("lstm", "gru"):
            hidden = draw(SIZES)
            layers.append((kind, b + off, hidden))
            b = hidden
        elif kind == "dropout":
            layers.append((kind, draw(st.sampled_from((0.0, 0.5)))))
        else:
            layers.append((kind,))
        if off and kind not in ("relu", "tanh", "dropout"):
            bad = i
    nest = None
    if count >= 2 and draw(st.booleans()):
        start = draw(st.integers(0, count - 1))
        nest = (start, draw(st.integers(start + 1, count)))
    return Spec(input_shape, tuple(layers), nest, draw(st.booleans()), bad)


def make_layer(layer: tuple[Any, ...]) -> nn.Module:
    kind = layer[0]
    if kind == "linear":
        return nn.Linear(layer[1], layer[2])
    if kind == "conv1d":
        return nn.Conv1d(layer[1], layer[2], layer[3])
    if kind == "lstm":
        return LastOutput(nn.LSTM(layer[1], layer[2], batch_first=True))
    if kind == "gru":
        return LastOutput(nn.GRU(layer[1], layer[2], batch_first=True))
    if kind == "dropout":
        return nn.Dropout(layer[1])
    return nn.ReLU() if kind == "relu" else nn.Tanh()


def build_model(spec: Spec) -> nn.Sequential:
    torch.manual_seed(0)
    layers = [make_layer(layer) for layer in spec.layers]
    if spec.nest is not None:
        i, j = spec.nest
        layers = [*layers[:i], nn.Sequential(*layers[i:j]), *layers[j:]]
    return nn.Sequential(*layers).train(spec.training)


# ---------------------------------------------------------------------------------------------
# the reference: a plain forward pass with plain hooks
# ---------------------------------------------------------------------------------------------


@dataclass
class Plain:
    output: torch.Tensor | None
    returned: list[tuple[str, list[tuple[int, ...]]]]  # module path and output shapes, in return order
    open: list[str]  # modules entered and never returned (outermost first) when it raised
    error: Exception | None


def plain_run(model: nn.Module, x: torch.Tensor) -> Plain:
    names = {id(m): n for n, m in model.named_modules()}
    entered: list[str] = []
    returned: list[tuple[str, list[tuple[int, ...]]]] = []

    def pre(module: nn.Module, _args: object) -> None:
        entered.append(names[id(module)])

    def post(module: nn.Module, _args: object, out: object) -> None:
        assert entered.pop() == names[id(module)]
        returned.append((names[id(module)], tensor_shapes(out)))

    handles = [h for m in model.modules() for h in (m.register_forward_pre_hook(pre), m.register_forward_hook(post))]
    output, error = None, None
    try:
        with torch.no_grad():
            output = model(x)
    except Exception as exc:  # noqa: BLE001 - the model's own failure is the reference
        error = exc
    finally:
        for h in handles:
            h.remove()
    return Plain(output, returned, entered if error is not None else [], error)


def archviz_only(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call fn; anything it raises other than an ArchvizError is a property violation."""
    try:
        return fn(*args, **kwargs)
    except ArchvizError:
        raise
    except BaseException as exc:
        raise AssertionError(f"{fn.__qualname__} raised {type(exc).__name__}: {exc} (not an ArchvizError)") from exc


def hook_count(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) + len(m._backward_pre_hooks)
        for m in model.modules()
    )


def assert_canon(dot_text: str) -> None:
    if DOT is None:
        return
    done = subprocess.run(
        [DOT, "-Tcanon"], input=dot_text.encode("utf-8"), capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert b"Error" not in done.stderr, done.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# the property
# ---------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(specs())
def test_trace_agrees_with_a_plain_forward_pass(spec: Spec) -> None:
    model = build_model(spec)
    flags = {n: m.training for n, m in model.named_modules()}
    x = torch.randn(spec.input_shape, generator=torch.Generator().manual_seed(0))
    plain = plain_run(model, x)
    event("runs" if plain.error is None else "fails")

    try:
        # (a) only ArchvizErrors may escape, and a failing model is a trace.failure, not an exception
        try:
            trace = archviz_only(capture.trace_model, model, (x,))
        except ArchvizError as exc:
            pytest.fail(f"trace_model raised {exc!r} instead of returning the failure in the record")
        assert hook_count(model) == 0
        assert not nn.modules.module._global_forward_hooks and not nn.modules.module._global_forward_pre_hooks
        assert torch._C._len_torch_function_stack() == 0
        assert {n: m.training for n, m in model.named_modules()} == flags
    finally:  # never let a leaked TorchFunctionMode poison the next example
        while torch._C._len_torch_function_stack():
            torch._C._pop_torch_function_stack()
    g = archviz_only(view.build, trace)
    dot_text = archviz_only(dot.to_dot, g)
    assert trace.inputs and trace.inputs[0].shape == tuple(x.shape)

    if plain.error is None:
        # (b) no failure, and every module output shape is the plain forward pass's
        assert trace.failure is None, trace.failure
        got = [(c.name, [t.shape for t in c.outputs]) for c in post_order(trace)]
        assert got == plain.returned
        assert plain.output is not None
        assert [t.shape for t in trace.outputs] == [tuple(plain.output.shape)]
        assert view.lint(g) == []
        assert_canon(dot_text)
    else:
        # (c) the failure names the innermost module that was entered and never returned
        assert trace.failure is not None, f"plain run raised {plain.error!r}, archviz recorded no failure"
        assert trace.failure.call is not None
        assert trace.call(trace.failure.call).name == plain.open[-1]
        assert trace.failure.exc_type == type(plain.error).__name__
        assert trace.failure.message == str(plain.error)
        assert not trace.outputs
        # what returned before the failure is recorded with the plain shapes
        got = [(c.name, [t.shape for t in c.outputs]) for c in post_order(trace) if c.name not in plain.open]
        assert got == plain.returned
        # the partial diagram is drawable too: the CLI writes it
        assert view.lint(g) == []
        assert_canon(dot_text)


def test_the_generator_makes_both_kinds_of_model() -> None:
    """The strategy is worth something only if it gives runnable and failing models both."""
    seen = {"runs": 0, "fails": 0}

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(specs())
    def classify(spec: Spec) -> None:
        model = build_model(spec)
        x = torch.randn(spec.input_shape, generator=torch.Generator().manual_seed(0))
        plain = plain_run(model, x)
        seen["runs" if plain.error is None else "fails"] += 1
        # a deliberate mismatch always makes the model fail, and nothing else does
        assert (plain.error is not None) == (spec.mismatch is not None), (spec, plain.error)

    classify()
    assert seen["runs"] >= 10 and seen["fails"] >= 5, seen
