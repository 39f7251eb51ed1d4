"""Wiring that real code uses is recorded as it really flows: in-place writes, hand-backs, pytrees,
TorchScript parts, tied weights and autograd."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from conftest import MODELS, calls_named, reads, trace_file
from torch import nn

from archviz import capture
from archviz.record import is_call_id

# ---- in-place writes ------------------------------------------------------------------------------


class BufferFill(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        buf = torch.zeros(3, 4)
        for i in range(3):
            buf[i] = self.enc(x[i])
        return buf.sum(0)


class InPlaceOps(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        acc = torch.zeros(2, 4)
        acc.add_(self.a(x))
        scores = self.b(x)
        scores.masked_fill_(mask, 0.0)
        dst = torch.empty(2, 4)
        dst.copy_(scores)
        row = dst[0]  # a view: writing it writes dst
        row.mul_(2)
        y = self.act(acc)  # writes acc in place
        return y + dst


def test_a_buffer_filled_by_index_is_read_from_its_writes() -> None:
    trace = capture.trace_model(BufferFill(), (torch.randn(3, 4),))
    writes = calls_named(trace, "__setitem__")
    assert len(writes) == 3
    assert reads(trace, writes[0])["args[0]"] == "zeros"
    for before, after in itertools.pairwise(writes):
        assert reads(trace, after)["args[0]"] == "__setitem__"
        assert trace.call(after.inputs[0].producer) is before  # each write reads the one before
    assert all(reads(trace, w)["args[2]"] == "enc" for w in writes)
    (total,) = calls_named(trace, "sum")
    assert total.inputs[0].producer == writes[-1].id  # the reader after the loop reads the last write


def test_in_place_ops_and_views_make_new_versions() -> None:
    model, x, mask = InPlaceOps(), torch.randn(2, 4), torch.tensor([[True, False, False, True]] * 2)
    trace = capture.trace_model(model, (x, mask))
    (copy,) = calls_named(trace, "copy_")
    assert reads(trace, copy)["args[1]"] == "masked_fill_"  # copy_ reads the masked scores
    (mul,) = calls_named(trace, "mul_")
    assert reads(trace, mul)["args[0]"] == "__getitem__"
    act = calls_named(trace, "act")[0]
    assert reads(trace, act)["args[0]"] == "add_"  # the ReLU reads acc after add_ wrote it
    (final,) = [c for c in trace.calls if c.name == "add"]
    assert reads(trace, final) == {"args[0]": "act", "args[1]": "mul_"}  # dst was written through its row view


def test_seq2seq_encoder_outputs_reach_the_decoder_through_the_writes() -> None:
    trace = trace_file(MODELS / "seq2seq_attention.py")
    writes = calls_named(trace, "__setitem__")
    assert len(writes) == 5
    assert all(reads(trace, w)["args[2]"] == "__getitem__" for w in writes)  # encoder_output[0, 0]
    feeding = trace.call(next(t.producer for t in writes[0].inputs if t.path == "args[2]"))
    assert reads(trace, feeding)["args[0]"] == "encoder"  # the EncoderRNN call, its GRU inside
    readers = [c for c in trace.calls if any(t.producer == writes[-1].id for t in c.inputs)]
    assert readers and all(c.name != "__setitem__" for c in readers)
    (zeros,) = [c for c in calls_named(trace, "zeros") if c.outputs[0].shape == (6, 16)]
    assert [c.name for c in trace.calls if any(t.producer == zeros.id for t in c.inputs)] == ["__setitem__"]


# ---- hand-backs ---------------------------------------------------------------------------------


class HandBacks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.ffn = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4)
        self.drop, self.dropout, self.ident = nn.Dropout(0.5), nn.Dropout(0.5), nn.Identity()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        h = self.fc1(x)
        a = self.fc2(self.drop(h))
        b = h * 2
        residual = a
        y = self.dropout(self.ffn(a))
        y = y + residual
        z = self.ident(y)
        w = z.contiguous() + y
        v = F.dropout(w, training=False)
        u = v.requires_grad_(False) - w
        return b, u


def test_calls_that_hand_back_their_input_are_producers_only_for_their_readers() -> None:
    trace = capture.trace_model(HandBacks().eval(), (torch.randn(3, 4),))
    assert reads(trace, calls_named(trace, "fc2")[0]) == {"args[0]": "drop"}
    assert reads(trace, calls_named(trace, "mul")[0]) == {"args[0]": "fc1"}  # b = h * 2, not from drop
    adds = calls_named(trace, "add")
    assert reads(trace, adds[0]) == {"args[0]": "dropout", "args[1]": "fc2"}  # y + residual
    assert reads(trace, adds[1]) == {"args[0]": "contiguous", "args[1]": "add"}  # z.contiguous() + y
    assert reads(trace, calls_named(trace, "sub")[0]) == {"args[0]": "requires_grad_", "args[1]": "add"}


def test_realistic_hand_backs_keep_the_recurrent_state_with_its_cell() -> None:
    trace = trace_file(MODELS / "mogrifier_lstmcell.py")
    cells = calls_named(trace, "layers.0.cell")
    assert len(cells) == 5
    q_calls = calls_named(trace, "layers.0.q")
    # q's first call of step 2 reads layer 0's state from step 1: the layer, never the dropout after it
    second_step = next(q for q in q_calls if q.id > cells[0].id)
    assert reads(trace, second_step)["args[0]"] == "layers.0"
    layer1 = calls_named(trace, "layers.1")[0]
    assert reads(trace, layer1)["args[0]"] == "dropout"  # but layer 1's input is the dropout's result
    heads = trace_file(MODELS / "passthrough_calls.py")
    assert reads(heads, calls_named(heads, "heads.fc2")[0]) == {"args[0]": "heads.drop"}
    mul = next(c for c in heads.calls if c.name == "mul")
    assert reads(heads, mul) == {"args[0]": "heads.fc1"}


# ---- inputs, outputs and model kinds ------------------------------------------------------------


def test_dataclass_namedtuple_and_model_output_fields_are_inputs_and_outputs() -> None:
    path = MODELS / "dataclass_io.py"
    trace = trace_file(path)
    assert [t.path for t in trace.inputs] == ["args[0].tokens", "args[0].mask", "args[0].lengths"]
    outs = [t.path for t in trace.outputs]
    assert outs[:2] == ["output.logits", "output.hidden"]
    assert "output.extras['pooling']['attention']['probs']" in outs
    named = trace_file(path, model="build_namedtuple_model")
    assert [t.path for t in named.outputs] == ["output.summary", "output.states"]
    hf = trace_file(path, model="build_modeloutput_model")
    assert next(t.path for t in hf.outputs) == "output['logits']" and all("loss" not in t.path for t in hf.outputs)


def test_torchscript_parts_are_opaque_boxes_in_an_unbroken_chain() -> None:
    trace = trace_file(MODELS / "torchscript_part.py")
    scripted, traced = calls_named(trace, "scripted_block")[0], calls_named(trace, "traced_block")[0]
    for part in (scripted, traced):
        assert "TorchScript: not traced inside" in part.notes
        assert not [c for c in trace.calls if c.parent == part.id]
    assert reads(trace, scripted) == {"args[0]": "input_proj"}
    assert reads(trace, traced) == {"args[0]": "scripted_block"}
    assert reads(trace, calls_named(trace, "norm")[0]) == {"args[0]": "traced_block"}
    whole = trace_file(MODELS / "torchscript_part.py", model="build_all_scripted")
    assert len(whole.calls) == 1 and whole.outputs[0].shape == (2, 6, 4)
    assert "TorchScript: not traced inside" in whole.calls[0].notes


def test_tied_weights_are_noted_on_both_modules_and_counted_once() -> None:
    trace = trace_file(MODELS / "tied_lm.py")
    notes = {c.name: c.notes for c in trace.calls if c.notes}
    assert notes["encoder"] == ("weight tied with decoder.weight",)
    assert notes["decoder"] == ("weight tied with encoder.weight",)
    assert dict(trace.meta)["params_trainable"] == "5202"


class GradOnly(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        if torch.is_grad_enabled():  # a training-only branch, as activation checkpointing is
            y = torch.tanh(y)
        return y


def test_grad_draws_training_only_branches_and_says_how_it_traced() -> None:
    off = capture.trace_model(GradOnly(), (torch.randn(2, 3),))
    on = capture.trace_model(GradOnly(), (torch.randn(2, 3),), grad=True)
    assert not calls_named(off, "tanh") and calls_named(on, "tanh")
    assert dict(off.meta)["autograd"] == "off" and dict(on.meta)["autograd"] == "on"
    assert torch.is_grad_enabled()  # restored


def test_producers_always_name_an_earlier_call() -> None:
    for name in ("seq2seq_attention", "inplace_writes", "passthrough_calls", "bahdanau_batch", "tacotron_attention"):
        trace = trace_file(MODELS / f"{name}.py")
        assert trace.lint() == [], name
        assert all(not is_call_id(t.producer) or t.producer < c.id for c in trace.calls for t in c.inputs), name
