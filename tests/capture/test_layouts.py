"""Calls of torch's own layers carry the axes those layers document for their inputs (`Call.layouts`).

Each case traces a small model around one layer and checks the layouts of that layer's call against
what PyTorch's documentation says, for both `batch_first` settings where there is one.
"""

from __future__ import annotations

import pytest
import torch
from conftest import trace_example
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from archviz import capture
from archviz.kinds import CallKind
from archviz.record import Call, Trace

SEQ_FIRST, BATCH_FIRST = ("T", "B", "F"), ("B", "T", "F")
STATE = ("*", "B", "F")


class Wrap(nn.Module):
    """Calls its one layer with whatever it is given."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, *args: object, **kwargs: object) -> object:
        return self.layer(*args, **kwargs)


def layer_call(layer: nn.Module, *args: object, **kwargs: object) -> tuple[Trace, Call]:
    trace = capture.trace_model(Wrap(layer).eval(), args, kwargs)
    assert trace.failure is None, trace.failure
    return trace, next(c for c in trace.calls if c.name == "layer")


def by_path(call: Call) -> dict[str, tuple[str, ...]]:
    assert len(call.layouts) == len(call.inputs)  # one per tensor input, in order
    return {t.path: lay for t, lay in zip(call.inputs, call.layouts, strict=True)}


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent_modules_name_sequence_and_state_axes(cls: type[nn.RNNBase], batch_first: bool) -> None:
    layer = cls(6, 5, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = torch.randn(3, 7, 6) if batch_first else torch.randn(7, 3, 6)
    h0 = torch.zeros(4, 3, 5)
    hx = (h0, torch.zeros(4, 3, 5)) if cls is nn.LSTM else h0
    _, call = layer_call(layer, x, hx)
    expected = {"args[0]": BATCH_FIRST if batch_first else SEQ_FIRST}
    if cls is nn.LSTM:
        expected |= {"args[1][0]": STATE, "args[1][1]": STATE}
    else:
        expected |= {"args[1]": STATE}
    assert by_path(call) == expected


def test_recurrent_module_inputs_by_keyword_and_unbatched() -> None:
    _, call = layer_call(nn.GRU(6, 5), input=torch.randn(7, 6), hx=torch.zeros(1, 5))
    assert by_path(call) == {"kwargs['input']": ("T", "F"), "kwargs['hx']": ("*", "F")}


@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_a_packed_input_names_its_parts(enforce_sorted: bool) -> None:
    lengths = torch.tensor([7, 5, 2]) if enforce_sorted else torch.tensor([5, 7, 2])
    packed = pack_padded_sequence(torch.randn(3, 7, 6), lengths, batch_first=True, enforce_sorted=enforce_sorted)
    _, call = layer_call(nn.LSTM(6, 5, batch_first=True), packed)
    expected = {"args[0].data": ("*", "F"), "args[0].batch_sizes": ("T",)}
    if not enforce_sorted:
        expected |= {"args[0].sorted_indices": ("B",), "args[0].unsorted_indices": ("B",)}
    assert by_path(call) == expected


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
def test_recurrent_cells_are_batch_by_features(cls: type[nn.RNNCellBase]) -> None:
    h = torch.zeros(3, 5)
    hx = (h, torch.zeros(3, 5)) if cls is nn.LSTMCell else h
    _, call = layer_call(cls(6, 5), torch.randn(3, 6), hx)
    assert set(by_path(call).values()) == {("B", "F")}
    _, unbatched = layer_call(cls(6, 5), torch.randn(6))
    assert unbatched.layouts == (("F",),)


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_sequences_and_padding_mask(batch_first: bool) -> None:
    layer = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    q = torch.randn(3, 7, 8) if batch_first else torch.randn(7, 3, 8)
    kv = torch.randn(3, 9, 8) if batch_first else torch.randn(9, 3, 8)
    mask = torch.zeros(3, 9, dtype=torch.bool)
    _, call = layer_call(layer, q, kv, kv, key_padding_mask=mask, attn_mask=torch.zeros(7, 9, dtype=torch.bool))
    seq = BATCH_FIRST if batch_first else SEQ_FIRST
    assert by_path(call) == {
        "args[0]": seq,
        "args[1]": seq,
        "args[2]": seq,
        "kwargs['key_padding_mask']": ("B", "T"),
        "kwargs['attn_mask']": (),  # (T, S): target and source length, said by no layout
    }


def _encoder_layer(batch_first: bool) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first)


def _decoder_layer(batch_first: bool) -> nn.TransformerDecoderLayer:
    return nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", ["encoder_layer", "encoder"])
def test_transformer_encoders(kind: str, batch_first: bool) -> None:
    layer = (
        _encoder_layer(batch_first)
        if kind == "encoder_layer"
        else nn.TransformerEncoder(_encoder_layer(batch_first), 2, enable_nested_tensor=False)
    )
    src = torch.randn(3, 7, 8) if batch_first else torch.randn(7, 3, 8)
    mask = torch.zeros(3, 7, dtype=torch.bool)
    _, call = layer_call(layer, src, src_key_padding_mask=mask)
    assert by_path(call) == {
        "args[0]": BATCH_FIRST if batch_first else SEQ_FIRST,
        "kwargs['src_key_padding_mask']": ("B", "T"),
    }


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", ["decoder_layer", "decoder", "transformer"])
def test_transformer_decoders_and_the_whole_transformer(kind: str, batch_first: bool) -> None:
    if kind == "decoder_layer":
        layer: nn.Module = _decoder_layer(batch_first)
    elif kind == "decoder":
        layer = nn.TransformerDecoder(_decoder_layer(batch_first), 2)
    else:
        layer = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=batch_first)
    tgt = torch.randn(3, 5, 8) if batch_first else torch.randn(5, 3, 8)
    memory = torch.randn(3, 7, 8) if batch_first else torch.randn(7, 3, 8)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(5)
    pad = torch.zeros(3, 5, dtype=torch.bool)
    seq = BATCH_FIRST if batch_first else SEQ_FIRST
    if kind == "transformer":
        _, call = layer_call(layer, memory, tgt, tgt_mask=tgt_mask, tgt_key_padding_mask=pad)
        first = {"args[0]": seq, "args[1]": seq}  # src, tgt
    else:
        _, call = layer_call(layer, tgt, memory, tgt_mask=tgt_mask, tgt_key_padding_mask=pad)
        first = {"args[0]": seq, "args[1]": seq}  # tgt, memory
    assert by_path(call) == {**first, "kwargs['tgt_mask']": (), "kwargs['tgt_key_padding_mask']": ("B", "T")}


SPATIAL = [
    (nn.Conv1d(4, 6, 3), (2, 4, 9)),
    (nn.Conv2d(4, 6, 3), (2, 4, 9, 9)),
    (nn.Conv3d(4, 6, 3), (2, 4, 5, 5, 5)),
    (nn.ConvTranspose1d(4, 6, 3), (2, 4, 9)),
    (nn.ConvTranspose2d(4, 6, 3), (2, 4, 9, 9)),
    (nn.ConvTranspose3d(4, 6, 3), (2, 4, 5, 5, 5)),
    (nn.BatchNorm1d(4), (2, 4, 9)),
    (nn.BatchNorm2d(4), (2, 4, 9, 9)),
    (nn.BatchNorm3d(4), (2, 4, 5, 5, 5)),
    (nn.InstanceNorm1d(4), (2, 4, 9)),
    (nn.InstanceNorm2d(4), (2, 4, 9, 9)),
    (nn.InstanceNorm3d(4), (2, 4, 5, 5, 5)),
    (nn.MaxPool1d(2), (2, 4, 9)),
    (nn.MaxPool2d(2), (2, 4, 9, 9)),
    (nn.MaxPool3d(2), (2, 4, 4, 4, 4)),
    (nn.AvgPool1d(2), (2, 4, 9)),
    (nn.AvgPool2d(2), (2, 4, 9, 9)),
    (nn.AvgPool3d(2), (2, 4, 4, 4, 4)),
    (nn.AdaptiveAvgPool2d(1), (2, 4, 9, 9)),
    (nn.AdaptiveMaxPool1d(1), (2, 4, 9)),
]


@pytest.mark.parametrize(("layer", "shape"), SPATIAL, ids=[type(m).__name__ for m, _ in SPATIAL])
def test_convolutions_norms_and_pools_are_batch_channels_then_the_rest(layer: nn.Module, shape: tuple) -> None:
    _, call = layer_call(layer, torch.randn(*shape))
    assert call.layouts == (("B", "C", "*"),)


def test_unbatched_convolution_and_two_dimensional_batch_norm() -> None:
    assert layer_call(nn.Conv1d(4, 6, 3), torch.randn(4, 9))[1].layouts == (("C", "*"),)
    assert layer_call(nn.BatchNorm1d(4), torch.randn(2, 4))[1].layouts == (("B", "C"),)


def test_linear_layer_norm_and_embedding() -> None:
    assert layer_call(nn.Linear(4, 3), torch.randn(2, 5, 4))[1].layouts == (("*", "F"),)
    assert layer_call(nn.LazyLinear(3), torch.randn(2, 4))[1].layouts == (("*", "F"),)
    assert layer_call(nn.LayerNorm(4), torch.randn(2, 5, 4))[1].layouts == (("*", "F"),)
    assert layer_call(nn.LayerNorm((5, 4)), torch.randn(2, 5, 4))[1].layouts == ()  # over two dims: no claim
    assert layer_call(nn.Embedding(10, 4), torch.tensor([[1, 2, 3]]))[1].layouts == ()


def test_user_modules_and_ops_document_nothing() -> None:
    trace = capture.trace_model(nn.Sequential(nn.Linear(4, 4), nn.ReLU()), (torch.randn(2, 4),))
    assert [c.layouts for c in trace.calls if c.name != "0"] == [()] * (len(trace.calls) - 1)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_call_names_its_input_and_lengths(batch_first: bool) -> None:
    class Packs(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(6, 5, batch_first=batch_first)

        def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
            packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
            return self.rnn(packed)[1]

    x = torch.randn(3, 7, 6) if batch_first else torch.randn(7, 3, 6)
    trace = capture.trace_model(Packs(), (x, torch.tensor([5, 7, 2])))
    (pack,) = [c for c in trace.calls if c.name == "pack_padded_sequence"]
    assert pack.kind == CallKind.FUNCTION
    assert [t.path for t in pack.inputs] == ["input", "lengths"]
    assert pack.layouts == (("B", "T", "*") if batch_first else ("T", "B", "*"), ("B",))


def test_the_bilstm_example_names_its_layers_and_keeps_its_other_fields() -> None:
    trace = trace_example("bilstm_classifier")
    named = {c.name: c.layouts for c in trace.calls if c.layouts}
    assert named == {
        "pack_padded_sequence": (("B", "T", "*"), ("B",)),
        "lstm": (("*", "F"), ("T",), ("B",), ("B",)),
        "classifier": (("*", "F"),),
    }
    assert trace.calls[0].layouts == ()  # the model itself is the user's: it says nothing
