"""A model file's model is let go once the doctor has read it: the diagram, drill-ins and report are made
without it in memory (its weights no longer add to the peak of a large model's render), and the files are
the same."""

from __future__ import annotations

import builtins
import textwrap
import weakref
from pathlib import Path

import pytest

from archviz import app

MODEL = textwrap.dedent(
    """\
    import builtins
    import weakref

    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 4)
            self.gru = nn.GRU(4, 6, batch_first=True)

        def forward(self, x):
            out, _ = self.gru(torch.relu(self.fc(x)))
            return out[:, -1]


    def build_model():
        model = Net().eval()
        builtins._archviz_test_models.append(weakref.ref(model))
        return model


    def example_inputs():
        return (torch.randn(2, 5, 8),)
    """
)


class _Watching(app.MemorySink):
    """Notes, for each file, whether the model was still alive when it was put."""

    def __init__(self, refs: list[weakref.ref[object]]) -> None:
        super().__init__()
        self.refs = refs
        self.alive: dict[str, bool] = {}

    def put(self, name: str, data: bytes) -> None:
        self.alive[name] = any(r() is not None for r in self.refs)
        super().put(name, data)


def test_the_model_is_gone_before_the_files_are_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "net.py"
    path.write_text(MODEL, encoding="utf-8")
    refs: list[weakref.ref[object]] = []
    monkeypatch.setattr(builtins, "_archviz_test_models", refs, raising=False)
    sink = _Watching(refs)
    app.run(app.Source.file(str(path)), app.Options(formats=("svg", "html", "json")), sink)
    assert len(refs) == 1  # the file built its model once, and it ran
    assert set(sink.alive) >= {"net.svg", "net.html", "net.json", "net.gru.gates.svg"}
    assert not any(sink.alive.values())
    assert b"GRU" in sink.files["net.json"] and b"<svg" in sink.files["net.gru.gates.svg"]
