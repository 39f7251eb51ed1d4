"""What ran is watched by a profile function that is on only while the model's code runs (off in
archviz's own hooks, where it would put Python 3.11 in its slow tracing mode), and is gone after the
trace, also when the pass fails inside a grouped torch helper (whose own profile function, chained to
the watch, closes the helper's call as the exception leaves it)."""

from __future__ import annotations

import sys
from types import FrameType

import pytest
import torch
from torch import nn

from archviz import capture

seen: list[object] = []


class Probe(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def _plain(self, x: torch.Tensor) -> torch.Tensor:
        seen.append(sys.getprofile())  # Python only: no op, no module call
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self._plain(x))


def test_the_watch_is_on_in_the_models_code_and_gone_after() -> None:
    seen.clear()
    capture.trace_model(Probe(), (torch.randn(2, 4),))
    assert len(seen) == 1 and seen[0] is not None
    assert sys.getprofile() is None


class PackedFails(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(x, [3, 5])  # lengths not sorted: raises inside the helper
        return self.rnn(packed)[0].data


def test_a_pass_failing_inside_a_grouped_helper_leaves_no_profile_function() -> None:
    with pytest.raises(RuntimeError):
        PackedFails()(torch.randn(5, 2, 4))  # the plain pass fails too
    traced = capture.run_model(PackedFails(), (torch.randn(5, 2, 4),))
    assert traced.trace.failure is not None and "sorted" in traced.trace.failure.message
    assert sys.getprofile() is None


def test_a_users_profiler_is_left_alone() -> None:
    calls: list[str] = []

    def mine(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            calls.append(frame.f_code.co_name)

    sys.setprofile(mine)
    try:
        capture.trace_model(Probe(), (torch.randn(2, 4),))
        assert sys.getprofile() is mine
    finally:
        sys.setprofile(None)
    assert "_plain" in calls and "forward" in calls
