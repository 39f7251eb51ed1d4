"""Work that goes nowhere: `Trace.uncalled` (registered modules never called) and `Trace.unread`
(parameters no recorded call read), with the cases that must not be named."""

from __future__ import annotations

import torch
from conftest import trace_example
from torch import Tensor, nn

from archviz import capture


def traced(model: nn.Module, *args: Tensor) -> tuple[tuple[str, ...], tuple[str, ...]]:
    trace = capture.trace_model(model, args)
    assert trace.failure is None, trace.failure
    return trace.uncalled, trace.unread


class Forgetful(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.dropout = nn.Dropout(0.1)  # never called
        self.head = nn.Sequential(nn.Linear(4, 2), nn.ReLU())  # never called, nor its children
        self.scale = nn.Parameter(torch.ones(4))  # never read
        self.offset = nn.Parameter(torch.zeros(4))

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(x) + self.offset


def test_an_uncalled_module_and_an_unread_parameter_are_named() -> None:
    uncalled, unread = traced(Forgetful(), torch.randn(2, 4))
    assert uncalled == ("dropout", "head")  # the outermost only: not head.0, head.1
    assert unread == ("scale",)  # head.0's weights: their module never ran, `uncalled` says it


def test_the_examples_use_everything() -> None:
    for name in ("gru", "mogrifier", "bilstm_classifier"):
        trace = trace_example(name)
        assert (trace.uncalled, trace.unread) == ((), ()), name


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.decoder = nn.Linear(4, 10, bias=False)
        self.decoder.weight = self.embed.weight
        self.spare = nn.Linear(4, 4)
        self.spare.weight = self.gate = nn.Parameter(torch.randn(4, 4))  # tied, and read by no one

    def forward(self, tokens: Tensor) -> Tensor:
        return self.embed(tokens).sum(1) @ self.spare.bias.unsqueeze(1)


def test_tied_weights_are_one_parameter_under_their_first_name() -> None:
    uncalled, unread = traced(Tied(), torch.tensor([[1, 2, 3]]))
    # decoder never ran, but its weight is embed's, which did: tied to a used weight is used (T5's `shared`)
    assert uncalled == ()
    assert unread == ("gate",)  # once, not also as spare.weight (spare never ran, but `gate` is the root's)


class Recurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True)
        self.norm = nn.BatchNorm1d(10)
        self.h0 = nn.Parameter(torch.zeros(4, 1, 5))  # registered, never passed: a dead parameter

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x)
        return self.norm(out[:, -1])


def test_the_weights_of_torch_layers_count_as_read() -> None:
    uncalled, unread = traced(Recurrent().eval(), torch.randn(3, 6, 4))
    assert uncalled == ()
    assert unread == ("h0",)  # all 16 LSTM weights and biases were read, by the layer's own kernel


class Scripted(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        inner = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
        inner.extra = nn.Linear(4, 4)  # never called inside the script
        self.jit = torch.jit.script(inner)
        self.unused_jit = torch.jit.script(nn.Linear(4, 4))  # a script module nobody calls

    def forward(self, x: Tensor) -> Tensor:
        return self.jit(x)


def test_inside_a_torchscript_module_nothing_is_named() -> None:
    uncalled, unread = traced(Scripted(), torch.randn(2, 4))
    assert uncalled == ("unused_jit",)  # seen from outside, it was never called
    assert unread == ()  # jit.0's weights are read where archviz cannot see: not named


class Containers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.spare_blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
        self.steps = nn.Sequential(nn.Linear(4, 4), nn.ReLU())  # iterated, never called itself
        self.table = nn.ModuleDict({"a": nn.Linear(4, 4), "b": nn.Linear(4, 4)})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(4)), nn.Parameter(torch.ones(4))])

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks[:2]:
            x = block(x)
        for step in self.steps:
            x = step(x)
        return self.table["a"](x) * self.scales[0]


def test_containers_are_looked_through() -> None:
    uncalled, unread = traced(Containers(), torch.randn(2, 4))
    assert uncalled == ("blocks.2", "spare_blocks", "table.b")
    assert unread == ("scales.1",)  # a ParameterList's parameters are the model's own


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.mu = nn.Linear(4, 2)

    def encode(self, x: Tensor) -> Tensor:
        return self.mu(torch.relu(self.body(x)))


class PositionalTable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("pe", torch.randn(16, 4))


class Indirect(nn.Module):
    """Modules used without being called: a method of a submodule, a buffer holder, attention."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.pos = PositionalTable()
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)  # reads out_proj's weights, never calls it
        self.bias_holder = nn.Linear(2, 2)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.pos.pe[: x.shape[1]]
        x, _ = self.attn(x, x, x)
        return self.encoder.encode(x) + self.bias_holder.bias


def test_modules_used_without_being_called_are_not_named() -> None:
    assert traced(Indirect().eval(), torch.randn(2, 5, 4)) == ((), ())


def test_a_failed_forward_pass_names_nothing() -> None:
    trace = capture.trace_model(Forgetful(), (torch.randn(2, 5),))
    assert trace.failure is not None
    assert (trace.uncalled, trace.unread) == ((), ())


def test_script_mode_names_them_too() -> None:
    model = Forgetful()
    with capture.ScriptCapture() as cap:
        model(torch.randn(2, 4))
    assert cap.trace is not None
    assert (cap.trace.uncalled, cap.trace.unread) == (("dropout", "head"), ("scale",))
