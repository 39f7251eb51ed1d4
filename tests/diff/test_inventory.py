"""The record's state-dict entries and constructor settings: what the model really holds, and a round trip."""

from __future__ import annotations

from diffpairs import build, side

from archviz.record import Trace


def test_state_entries_are_the_models_state_dict() -> None:
    trace = side("stack_new").trace
    live = build("stack_new").state_dict()
    assert [(e.key, e.shape) for e in trace.state] == [(k, tuple(v.shape)) for k, v in live.items()]
    buffers = {e.key for e in trace.state if e.buffer}
    assert buffers == {"stem.running_mean", "stem.running_var", "stem.num_batches_tracked"}
    assert {e.dtype for e in trace.state if e.key == "stem.num_batches_tracked"} == {"int64"}


def test_settings_are_each_modules_extra_repr() -> None:
    trace = side("batch_first_new").trace
    model = build("batch_first_new")
    expected = {p: m.extra_repr() for p, m in model.named_modules() if m.extra_repr()}
    assert {s.path: s.text for s in trace.settings} == expected
    assert "batch_first=True" in dict((s.path, s.text) for s in trace.settings)["lstm"]


def test_inventory_round_trips_through_json() -> None:
    trace = side("norm_new").trace
    again = Trace.from_json(trace.to_json())
    assert again.state == trace.state and again.settings == trace.settings
    assert again == trace
