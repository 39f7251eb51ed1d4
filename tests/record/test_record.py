"""The record round-trips through JSON and refuses other schema versions."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import trace_example

from archviz import record


@pytest.mark.parametrize("name", ["gru", "bilstm_classifier"])
def test_json_round_trip_is_exact(name: str) -> None:
    trace = trace_example(name)
    text = trace.to_json()
    again = record.Trace.from_json(text)
    assert again == trace
    assert again.to_json() == text
    data = json.loads(text)
    assert next(iter(data)) == "schema_version" and data["schema_version"] == record.SCHEMA_VERSION
    assert len(data["calls"]) == len(trace.calls)


def test_other_schema_version_is_refused() -> None:
    data = json.loads(trace_example("gru").to_json())
    data["schema_version"] = 999
    with pytest.raises(ValueError, match="schema_version"):
        record.Trace.from_json(json.dumps(data))


def test_ids_follow_execution_order() -> None:
    trace = trace_example("gru")
    assert [c.id for c in trace.calls] == [f"call-{i:04d}" for i in range(len(trace.calls))]
    index = {c.id: i for i, c in enumerate(trace.calls)}
    for c in trace.calls:
        if c.parent is not None:
            assert index[c.parent] < index[c.id]
        for t in c.inputs:
            if t.producer and t.producer.startswith("call-"):
                assert index[t.producer] < index[c.id]


def test_recurrent_config_is_typed_in_the_json() -> None:
    trace = trace_example("bilstm_classifier")
    lstm = next(c for c in trace.calls if c.config is not None)
    assert lstm.config.bidirectional is True and lstm.config.num_layers == 2 and lstm.config.cell is False
    data = json.loads(trace.to_json())
    cfg = next(c["config"] for c in data["calls"] if c.get("config"))  # a call without one leaves it out
    assert cfg["bidirectional"] is True and cfg["hidden_size"] == 32 and cfg["mode"] == "LSTM"


def test_a_sound_record_lints_clean() -> None:
    for name in ("gru", "mogrifier", "bilstm_classifier"):
        assert trace_example(name).lint() == []


def test_lint_names_each_broken_invariant() -> None:
    trace = trace_example("gru")
    calls = list(trace.calls)
    child = next(c for c in calls[2:] if c.parent is not None and c.inputs and c.inputs[0].producer)
    i = calls.index(child)
    bad_input = dataclasses.replace(child.inputs[0], producer="call-9999")
    calls[i] = dataclasses.replace(child, parent="call-9998", inputs=(bad_input, *child.inputs[1:]))
    calls[1] = dataclasses.replace(calls[1], id="call-000x")
    broken = dataclasses.replace(trace, calls=tuple(calls), failure=record.Failure("call-5555", "E", "m"))
    problems = " | ".join(broken.lint())
    assert "call-000x is call number 1, out of execution order" in problems
    assert f"{child.id} names parent call-9998" in problems
    assert "from call-9999, which is not an earlier call" in problems
    assert "the failure names call-5555" in problems


def test_malformed_records_are_refused_with_archviz_errors() -> None:
    from archviz.errors import ArchvizError

    for text in ("[]", '{"schema_version": 1}'):
        with pytest.raises(ArchvizError, match="schema_version"):
            record.Trace.from_json(text)
