"""The record round-trips through JSON and refuses other schema versions."""

from __future__ import annotations

import json

import pytest

from archviz import record
from conftest import trace_example


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
