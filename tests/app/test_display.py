"""Records and view graphs in Jupyter: one diagram per display, a one-line text, failures said as such."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from conftest import load_example, tensor_shapes
from torch import nn

import archviz
from archviz import app, view
from archviz.errors import ArchvizError, TraceError
from archviz.record import Trace, shape_text


class Broken(nn.Module):
    """A forward pass that fails at its second layer: 32 features in, the layer wants 16."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc1(x))
        return self.fc2(h)  # the failing line


HERE = Path(__file__)
FAILING_LINE = next(i for i, line in enumerate(HERE.read_text("utf-8").splitlines(), 1) if "# the failing line" in line)


def svg_count(bundle: dict[str, str]) -> int:
    return sum(value.count("<svg") for value in bundle.values())


@pytest.fixture(scope="module", params=["gru", "mogrifier", "bilstm_classifier"])
def example(request: pytest.FixtureRequest) -> tuple[Trace, list[tuple[int, ...]], nn.Module]:
    model, args, kwargs = load_example(request.param)
    with torch.no_grad():
        shapes = tensor_shapes(model(*args, **kwargs))
    return archviz.trace(model, *args, **kwargs), shapes, model


def test_an_example_displays_one_diagram_and_a_short_line(example: tuple[Trace, list, nn.Module]) -> None:
    record, shapes, model = example
    bundle = record._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"} and svg_count(bundle) == 1
    text = bundle["text/plain"]
    assert text == repr(record) and "\n" not in text and len(text) < 300
    assert type(model).__name__ in text and f"{len(record.calls)} calls" in text
    assert f"outputs {', '.join(shape_text(s) for s in shapes)}" in text  # the plain forward's shapes
    assert len(repr(record)) < 300 and str(record) == repr(record)


def test_the_html_holds_the_line_and_a_diagram_naming_the_modules(example: tuple[Trace, list, nn.Module]) -> None:
    record, _, model = example
    fragment = record._repr_mimebundle_()["text/html"]
    assert fragment.startswith(f"<p><b>{record.model_name}</b>") and "<?xml" not in fragment
    root = ET.fromstring(fragment[fragment.index("<svg") :].encode("utf-8"))
    texts = " ".join(" ".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text"))
    top = {name for name, _ in model.named_children()}
    assert top and all(name in texts for name in top)


def test_ipython_shows_the_diagram_once(example: tuple[Trace, list, nn.Module]) -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    record = example[0]
    shown, _ = formatters.DisplayFormatter().format(record)
    assert svg_count(shown) == 1 and shown["text/plain"] == repr(record)


def test_a_failing_forward_pass_says_where_it_failed() -> None:
    record = archviz.trace(Broken(), torch.randn(4, 10))
    assert record.failure is not None
    text = record._repr_mimebundle_()["text/plain"]
    where = f"failed at Linear 'fc2' ({HERE.name}:{FAILING_LINE}): RuntimeError: mat1 and mat2"
    assert where in text and "outputs" not in text and len(text) < 300 and "\n" not in text
    assert text.startswith("<Trace Broken: Broken, ")
    fragment = record._repr_mimebundle_()["text/html"]
    assert fragment.count("<svg") == 1 and "failed at Linear &#x27;fc2&#x27;" in fragment
    assert "outputs none" not in fragment


def test_a_long_failure_stays_one_short_line() -> None:
    class Shouting(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise ValueError("x" * 2000 + "\nsecond line")

    text = repr(archviz.trace(Shouting(), torch.randn(2)))
    assert len(text) < 300 and "\n" not in text and "second line" not in text
    assert "failed" in text and "ValueError: xxx" in text and "…" in text


def test_strict_raises_a_trace_error_with_the_failure_message() -> None:
    model = Broken()
    with pytest.raises(TraceError) as caught:
        archviz.trace(model, torch.randn(4, 10), strict=True)
    assert isinstance(caught.value, ArchvizError)
    partial = archviz.trace(model, torch.randn(4, 10))
    assert str(caught.value) == app.failure_message(partial, [])
    assert "Linear 'fc2'" in str(caught.value) and "mat1 and mat2" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert not model.fc2._forward_hooks and not model._forward_pre_hooks  # hooks removed all the same
    ok = archviz.trace(nn.Linear(3, 2), torch.randn(1, 3), strict=True)
    assert ok.failure is None and ok.outputs[0].shape == (1, 2)


def test_a_view_graph_displays_its_diagram_once() -> None:
    graph = view.build(archviz.trace(nn.GRU(3, 4), torch.randn(5, 2, 3)))
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/svg+xml"} and svg_count(bundle) == 1
    assert bundle["text/plain"] == repr(graph) and len(repr(graph)) < 300
    assert f"{len(graph.nodes)} nodes" in repr(graph)


def test_the_short_repr_keeps_dataclass_equality() -> None:
    record = archviz.trace(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), torch.randn(2, 4))
    again = Trace.from_json(record.to_json())
    assert again == record and dataclasses.replace(record) == record
    assert dataclasses.replace(record, model_name="other") != record
    assert dataclasses.is_dataclass(record) and "calls" in {f.name for f in dataclasses.fields(record)}
