"""Work a forward pass runs in other threads: not recorded, never corrupting the record, always noted."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from torch import nn

import archviz
from archviz import capture
from archviz.capture import threads
from archviz.kinds import CallKind
from archviz.record import Trace


class Pooled(nn.Module):
    """`a` runs here; `b` runs twice in a thread pool, as a forward pass that parallelises might.

    A barrier holds both calls until both workers run: one worker may not serve both (the count is exact).
    """

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.a(x))
        both = threading.Barrier(2)

        def run(t: torch.Tensor) -> torch.Tensor:
            both.wait(timeout=30)
            return self.b(t)

        with ThreadPoolExecutor(max_workers=2) as pool:
            left, right = pool.map(run, [h, h + 1])
        return left + right


def _modules(trace: Trace) -> list[str]:
    return [c.name for c in trace.calls if c.kind == CallKind.MODULE]


def _svg_text(path: Path) -> str:
    """The SVG's visible text, lines joined with spaces (the renderer wraps long notes)."""
    root = ET.parse(path).getroot()
    return " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_a_forward_that_runs_modules_in_a_thread_pool_is_traced_with_a_note() -> None:
    model = Pooled()
    x = torch.randn(3, 4)
    trace = archviz.trace(model, x)
    assert trace.failure is None and trace.lint() == []
    assert _modules(trace) == ["", "a"]  # `b` ran only in the pool: not recorded, not misplaced
    assert trace.outputs[0].shape == (3, 4)
    note = "forward ran work in 2 other threads (2 module calls); ops there are not recorded"
    assert note in trace.calls[0].notes
    assert Trace.from_json(trace.to_json()).calls[0].notes == trace.calls[0].notes
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_the_thread_note_is_in_the_json_and_on_the_diagram(tmp_path: Path) -> None:
    paths = archviz.render(Pooled(), torch.randn(3, 4), out=tmp_path, formats="svg,json", depth=0)
    svg = next(p for p in paths if p.endswith(".svg"))
    record = Trace.from_json(Path(next(p for p in paths if p.endswith(".json"))).read_text())
    assert any("2 other threads" in n for n in record.calls[0].notes)
    assert "forward ran work in 2 other threads" in _svg_text(Path(svg))


def test_the_thread_note_is_on_the_diagram_at_the_default_depth(tmp_path: Path) -> None:
    paths = archviz.render(Pooled(), torch.randn(3, 4), out=tmp_path, formats="svg")
    assert "forward ran work in 2 other threads" in _svg_text(Path(paths[0]))


def test_a_thread_that_runs_only_ops_is_noted() -> None:
    class Spawner(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out: list[torch.Tensor] = []
            worker = threading.Thread(target=lambda: out.append(torch.tanh(x) * 2))
            worker.start()
            worker.join()
            return self.fc(out[0])

    trace = capture.trace_model(Spawner(), (torch.randn(1, 2),))
    assert trace.failure is None and trace.lint() == []
    assert trace.calls[0].notes == ("forward ran work in 1 other thread; ops there are not recorded",)
    assert [c.type for c in trace.calls[1:]] == ["Linear"]  # tanh and mul ran in the other thread


def test_module_calls_in_another_thread_do_not_corrupt_the_record() -> None:
    class Busy(nn.Module):
        """Both threads call modules of this model at once, many times."""

        def __init__(self) -> None:
            super().__init__()
            self.here = nn.Sequential(nn.Linear(8, 8), nn.ReLU())
            self.there = nn.Sequential(nn.Linear(8, 8), nn.Tanh())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            def work() -> torch.Tensor:
                y = x
                for _ in range(300):
                    y = self.there(y)
                return y

            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(work)
                y = x
                for _ in range(300):
                    y = self.here(y)
                return y + pending.result()

    trace = capture.trace_model(Busy(), (torch.randn(2, 8),))
    assert trace.failure is None and trace.lint() == []
    names = _modules(trace)
    assert names.count("here") == 300 and names.count("here.0") == 300 and "there" not in names
    assert all(c.parent == trace.calls[0].id for c in trace.calls if c.name == "here")
    assert trace.calls[0].notes == (
        "forward ran work in 1 other thread (900 module calls); ops there are not recorded",
    )


def test_a_forward_without_threads_has_no_note_and_the_profile_hook_is_put_back() -> None:
    def mine(frame: object, event: str, arg: object) -> None:
        return None

    threading.setprofile(mine)
    try:
        trace = capture.trace_model(nn.Linear(2, 2), (torch.randn(1, 2),))
        assert threading.getprofile() is mine
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
    assert trace.calls[0].notes == ()


def test_the_note_counts_threads_and_calls() -> None:
    assert threads.note([], {}) is None
    assert threads.note([7], {}) == "forward ran work in 1 other thread; ops there are not recorded"
    assert threads.note([7, 8], {7: 1, 9: 3}) == (
        "forward ran work in 3 other threads (4 module calls); ops there are not recorded"
    )
