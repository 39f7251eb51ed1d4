"""DOT output is escaped, parses, and is byte-identical for the same model and inputs."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import torch
from conftest import trace_example
from torch import nn

from archviz import capture, view
from archviz.draw import dot, graphviz
from archviz.errors import RenderError

HOSTILE = 'x<script>alert("1")</script>{a}\\b\nline2 & "q"'


def _hostile_model() -> nn.Module:
    evil_cls = type('Evil<script>"{}"\\', (nn.Module,), {"forward": lambda self, x: torch.relu(self.inner(x))})
    model = evil_cls()
    nn.Module.__init__(model)
    model.add_module(HOSTILE, nn.Linear(3, 3))
    model.inner = getattr(model, HOSTILE)
    return model


def test_hostile_names_are_escaped_and_the_dot_parses() -> None:
    model = _hostile_model()
    trace = capture.trace_model(model, (torch.randn(2, 3),), name='m"<b>')
    g = view.build(trace)
    text = dot.to_dot(g)
    # the backslash doubled: Graphviz reads `\b` in a label as an escape, `\\b` as the text `\b`
    assert "<B>x&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;{a}\\\\b" in text
    for line in text.splitlines():  # HTML-like labels never carry a raw tag from a name
        if "label=<" in line:
            assert "<script" not in line.split("tooltip=")[0]
    svg = graphviz.render(text, "svg").decode()
    root = ET.fromstring(svg)  # well-formed XML
    assert not any(el.tag.endswith("script") for el in root.iter())
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert not any(k.lower().startswith("on") for el in root.iter() for k in el.attrib)


def test_same_trace_gives_identical_bytes() -> None:
    a = dot.to_dot(view.build(trace_example("gru")))
    b = dot.to_dot(view.build(trace_example("gru")))
    assert a == b
    assert graphviz.render(a, "svg") == graphviz.render(b, "svg")


def test_svg_has_stable_ids_titles_and_viewbox() -> None:
    text = dot.to_dot(view.build(trace_example("gru")))
    svg = graphviz.render(text, "svg").decode()
    root = ET.fromstring(svg)
    assert root.get("viewBox")
    ns = "{http://www.w3.org/2000/svg}"
    ids = {el.get("id") for el in root.iter(ns + "g")}
    assert "loop-0" in ids and any(i and i.startswith("call-") for i in ids)
    assert "/work" not in svg and "/tmp" not in svg


def test_shapes_and_names_appear_in_labels() -> None:
    text = dot.to_dot(view.build(trace_example("gru")))
    assert "<B>cells.0.update_gate</B>" in text
    assert "out [3, 20]" in text and "params 620" in text
    assert 'label="[3, 20] ×5"' in text and "constraint=false" in text
    assert "legend" in text


def test_dot_is_accepted_by_graphviz_for_every_example() -> None:
    for name in ("gru", "mogrifier", "bilstm_classifier"):
        text = dot.to_dot(view.build(trace_example(name)))
        done = subprocess.run(["dot", "-Tcanon"], input=text.encode(), capture_output=True, check=False)
        assert done.returncode == 0, done.stderr


def _only(names: set[str]):  # type: ignore[no-untyped-def]
    real = shutil.which

    def which(name: str) -> str | None:
        return real(name) if name in names else None

    return which


def test_without_dot_the_standalone_layout_draws_svg(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("graphviz-pure") is None:
        pytest.skip("graphviz-pure (the standalone extra) is not installed")
    monkeypatch.setattr(graphviz.shutil, "which", _only({"graphviz-pure"}))
    text = dot.to_dot(view.build(trace_example("gru")))
    svg = graphviz.render(text, "svg").decode()
    assert "graphviz-pure" in svg and "cells.0.update_gate" in svg
    with pytest.raises(RenderError, match="PDF"):
        graphviz.render(text, "pdf")


def test_without_any_graphviz_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphviz.shutil, "which", _only(set()))
    with pytest.raises(RenderError) as info:
        graphviz.render("digraph { a }", "svg")
    message = str(info.value)
    assert "apt-get install graphviz" in message and "brew" in message and "archviz[standalone]" in message


def test_graphviz_failure_is_reported_with_its_message() -> None:
    with pytest.raises(RenderError, match="syntax error"):
        graphviz.render("digraph { a -> }", "svg")
