"""Inputs with one axis grown (capture/perturb.py): the groups, the grown values, the paths the record
uses for the same tensors, and the originals left alone."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from conftest import load_example
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from archviz import capture
from archviz.capture.perturb import AxisGroup, axis_groups, perturbed


def group_of(groups: list[AxisGroup], size: int) -> AxisGroup:
    (group,) = [g for g in groups if g.size == size]
    return group


def grown_like(t: Tensor, dim: int, size: int) -> Tensor:
    """The expected result: the original, then copies of its last slice."""
    extra = t.narrow(dim, t.shape[dim] - 1, 1).expand(
        *[size - t.shape[dim] if d == dim else n for d, n in enumerate(t.shape)]
    )
    return torch.cat([t, extra], dim)


def input_dims(trace) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return {(t.path, d) for t in trace.inputs for d in range(len(t.shape))}


def test_one_tensor_has_a_group_per_dim() -> None:
    x = torch.randn(3, 7, 10)
    groups = axis_groups((x,), {})
    assert groups == [
        AxisGroup("g0", 3, (("args[0]", 0),)),
        AxisGroup("g1", 7, (("args[0]", 1),)),
        AxisGroup("g2", 10, (("args[0]", 2),)),
    ]
    for g, dim in zip(groups, range(3), strict=True):
        for size in (g.size + 1, 2 * g.size):
            args, kwargs = perturbed((x,), {}, g, size)
            assert kwargs == {} and len(args) == 1
            assert torch.equal(args[0], grown_like(x, dim, size))


def test_equal_sizes_are_one_group_and_size_one_is_a_group_too() -> None:
    x = torch.randn(4, 4, 1)
    assert axis_groups((x, torch.tensor(2.0)), {}) == [  # a 0-d tensor has no dims
        AxisGroup("g0", 4, (("args[0]", 0), ("args[0]", 1))),
        AxisGroup("g1", 1, (("args[0]", 2),)),
    ]
    (square,), _ = perturbed((x,), {}, axis_groups((x,), {})[0], 6)
    assert square.shape == (6, 6, 1) and torch.equal(square[5, 5], x[3, 3])
    (wide,), _ = perturbed((x,), {}, axis_groups((x,), {})[1], 3)
    assert wide.shape == (4, 4, 3) and torch.equal(wide[..., 2], x[..., 0])


def _ids_and_mask() -> dict[str, Tensor]:
    lengths = torch.tensor([12, 7, 9, 3])
    mask = (torch.arange(12) < lengths.unsqueeze(1)).long()
    return {"input_ids": torch.randint(1, 50, (4, 12)) * mask, "attention_mask": mask}


def test_input_ids_and_attention_mask_given_as_keywords() -> None:
    kwargs = _ids_and_mask()
    groups = axis_groups((), kwargs)
    batch, time = group_of(groups, 4), group_of(groups, 12)
    assert batch.members == (("kwargs['input_ids']", 0), ("kwargs['attention_mask']", 0))
    assert time.members == (("kwargs['input_ids']", 1), ("kwargs['attention_mask']", 1))
    _, longer = perturbed((), kwargs, time, 13)
    mask = longer["attention_mask"]
    assert mask.shape == longer["input_ids"].shape == (4, 13)
    assert mask[:, 12].tolist() == [1, 0, 0, 0]  # only the full-length row goes on
    assert ((longer["input_ids"] != 0).long() == mask).all()  # ids and mask still agree
    _, wider = perturbed((), kwargs, batch, 8)
    assert wider["input_ids"].shape == (8, 12) and torch.equal(wider["input_ids"][7], kwargs["input_ids"][3])


def test_a_dict_given_positionally_has_the_paths_of_the_record() -> None:
    class TakesDict(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(50, 8)

        def forward(self, batch: dict[str, Tensor]) -> Tensor:
            return (self.embed(batch["input_ids"]) * batch["attention_mask"].unsqueeze(-1)).sum(1)

    args = (_ids_and_mask(),)
    base = capture.trace_model(TakesDict(), args)
    groups = axis_groups(args, {})
    assert {m for g in groups for m in g.members} == input_dims(base)
    assert group_of(groups, 12).members == (("args[0]['input_ids']", 1), ("args[0]['attention_mask']", 1))
    new_args, _ = perturbed(args, {}, group_of(groups, 12), 24)
    again = capture.trace_model(TakesDict(), new_args)
    assert again.failure is None and [t.path for t in again.inputs] == [t.path for t in base.inputs]


def test_tokens_and_lengths_grow_together() -> None:
    lengths = torch.tensor([11, 4, 7, 11])
    tokens = torch.randint(1, 50, (4, 11)) * (torch.arange(11) < lengths.unsqueeze(1))
    groups = axis_groups((tokens, lengths), {})
    batch, time = group_of(groups, 4), group_of(groups, 11)
    assert batch.members == (("args[0]", 0), ("args[1]", 0))
    assert time.members == (("args[0]", 1),)
    (t2, l2), _ = perturbed((tokens, lengths), {}, time, 15)
    assert t2.shape == (4, 15) and l2.tolist() == [15, 4, 7, 15]  # the full-length ones grew
    assert ((t2 != 0).sum(1) == l2).all()
    (t3, l3), _ = perturbed((tokens, lengths), {}, batch, 6)
    assert t3.shape == (6, 11) and l3.tolist() == [11, 4, 7, 11, 11, 11]
    # values that are not lengths of the axis are kept: 0 is no length, and a max below the size is not
    ids = torch.tensor([0, 3, 11, 2])
    (_, kept), _ = perturbed((tokens, ids), {}, time, 15)
    assert kept.tolist() == [0, 3, 11, 2]


def _packed(enforce_sorted: bool) -> tuple[PackedSequence, Tensor, Tensor]:
    lengths = torch.tensor([9, 6, 6, 2]) if enforce_sorted else torch.tensor([6, 9, 2, 6])
    padded = torch.randn(4, 9, 5) * (torch.arange(9) < lengths.unsqueeze(1)).unsqueeze(-1)
    return pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=enforce_sorted), padded, lengths


@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_a_packed_sequence_grows_as_the_batch_it_stands_for(enforce_sorted: bool) -> None:
    packed, padded, lengths = _packed(enforce_sorted)
    lstm = nn.LSTM(5, 3, batch_first=True)
    base = capture.trace_model(lstm, (packed,))
    groups = axis_groups((packed,), {})
    # data dim 0 (Σ lengths = 23) is no axis of its own; everything else is a member
    assert {m for g in groups for m in g.members} == input_dims(base) - {("args[0].data", 0)}
    time, features = group_of(groups, 9), group_of(groups, 5)
    assert time.members == (("args[0].batch_sizes", 0),)
    assert features.members == (("args[0].data", 1),)
    # the batch is an axis only where a dim has its size: the indices of an unsorted packing
    assert [g.size for g in groups] == ([5, 9] if enforce_sorted else [5, 9, 4])
    (longer,), _ = perturbed((packed,), {}, time, 12)
    seq, lens = pad_packed_sequence(longer, batch_first=True)
    assert lens.tolist() == [12 if n == 9 else int(n) for n in lengths]
    assert torch.equal(seq[:, :9], padded) and seq.shape == (4, 12, 5)
    (wider,), _ = perturbed((packed,), {}, features, 7)
    assert wider.data.shape == (23, 7) and torch.equal(wider.data[:, 6], packed.data[:, 4])
    for new in (longer, wider):
        assert (new.sorted_indices is None) == enforce_sorted
    if not enforce_sorted:
        batch = group_of(groups, 4)
        assert batch.members == (("args[0].sorted_indices", 0), ("args[0].unsorted_indices", 0))
        (more,), _ = perturbed((packed,), {}, batch, 6)
        seq, lens = pad_packed_sequence(more, batch_first=True)
        assert lens.tolist() == [6, 9, 2, 6, 6, 6] and torch.equal(seq[5], padded[3])
    again = capture.trace_model(lstm, (longer,))
    assert again.failure is None and [t.path for t in again.inputs] == [t.path for t in base.inputs]


@dataclasses.dataclass
class Batch:
    tokens: Tensor
    extras: list[Tensor]
    note: str = "kept"


def test_nested_inputs_and_the_originals_are_left_alone() -> None:
    batch = Batch(torch.randint(0, 9, (2, 6)), [torch.randn(2, 6, 3), torch.randn(3)])
    kwargs = {"mask": torch.ones(2, 6, dtype=torch.bool), "scale": 0.5}
    before = [batch.tokens.clone(), batch.extras[0].clone(), batch.extras[1].clone(), kwargs["mask"].clone()]
    groups = axis_groups((batch,), kwargs)
    paths = {m for g in groups for m in g.members}
    assert ("args[0].tokens", 1) in paths and ("args[0].extras[0]", 2) in paths and ("kwargs['mask']", 1) in paths
    for g in groups:
        (new,), new_kwargs = perturbed((batch,), kwargs, g, g.size + 2)
        assert isinstance(new, Batch) and new.note == "kept" and new_kwargs["scale"] == 0.5
        news = [new.tokens, *new.extras, new_kwargs["mask"]]
        olds = [batch.tokens, *batch.extras, kwargs["mask"]]
        assert all(
            a is not b and a.untyped_storage().data_ptr() != b.untyped_storage().data_ptr()
            for a, b in zip(news, olds, strict=True)
        )
    now = [batch.tokens, batch.extras[0], batch.extras[1], kwargs["mask"]]
    assert all(torch.equal(a, b) for a, b in zip(before, now, strict=True))
    assert batch.tokens.shape == (2, 6) and set(kwargs) == {"mask", "scale"}


def test_groups_only_grow_and_meta_tensors_grow_without_values() -> None:
    x = torch.randn(3, 4, device="meta")
    g = axis_groups((x,), {})[1]
    (y,), _ = perturbed((x,), {}, g, 9)
    assert y.device.type == "meta" and y.shape == (3, 9)
    with pytest.raises(ValueError, match="only grow"):
        perturbed((x,), {}, g, 4)


@pytest.mark.parametrize("name", ["gru", "mogrifier", "bilstm_classifier"])
def test_the_examples_run_on_their_grown_inputs(name: str) -> None:
    model, args, kwargs = load_example(name)
    base = capture.trace_model(model, args, kwargs, verify=False)
    groups = axis_groups(args, kwargs)
    assert {m for g in groups for m in g.members} == input_dims(base)  # the record's own paths
    ran = 0
    for g in groups:
        features = any(d == 2 for _, d in g.members)  # an input width the weights fix: cannot grow
        for size in (g.size + 1, 2 * g.size):
            new_args, new_kwargs = perturbed(args, kwargs, g, size)
            trace = capture.trace_model(model, new_args, new_kwargs, verify=False)
            assert (trace.failure is not None) == features, (g, size, trace.failure)
            if not features:
                ran += 1
                grown = {(t.path, d): n for t in trace.inputs for d, n in enumerate(t.shape)}
                assert all(grown[m] == size for m in g.members)
    assert ran == 4  # batch and time, each to n+1 and 2n
