"""Text from the user's code reaches DOT, SVG and HTML only through the one sanitiser (`record.text`).

Names, class names and exception messages can hold anything: ANSI colours, NUL and other control
characters, lone surrogates, Graphviz escapes (`\\N`, `\\G`, …), HTML entities, 20 KB of text. Whatever
they hold, `dot` lays the diagram out, the SVG is well-formed XML that shows the text literally, the
report runs only its own script, and the JSON record keeps the text exactly as it was.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import archviz
from archviz import capture, view
from archviz.draw import dot, gates, graphviz
from archviz.draw.escape import esc, quote, tooltip
from archviz.kinds import CellMode, WireKind
from archviz.record import Cell, Trace, WireEdge, WireNode
from archviz.record.text import LINE_CHARS, MESSAGE_CHARS, clip, json_safe, printable, shown

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
ESCAPES = ["\\N", "\\G", "\\L", "\\E", "\\T", "\\H", "\\l", "\\r", "\\n", "\\\\", "\\"]


# ---------------------------------------------------------------------------------------------
# models and what a render gives
# ---------------------------------------------------------------------------------------------


class Check(nn.Module):
    """A leaf module (drawn as a box) that raises `message`, if any."""

    def __init__(self, message: str | None) -> None:
        super().__init__()
        self.message = message

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.message is not None:
            raise ValueError(self.message)
        return x


class Block(nn.Module):
    """A linear layer, a check that may raise `message`, and a recurrent cell (a gate drill-in)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.check = Check(message)
        self.cell = nn.GRUCell(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.check(self.proj(x))
        return self.cell(y, y)


def hostile(name: str = "body", cls_name: str = "Net", message: str | None = None, root: bool = False) -> nn.Module:
    """A model whose ModuleDict key is `name` and class `cls_name`; `message` raised by a submodule or the
    root's own forward (`root`)."""

    def forward(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks[name](x)
        if root and message is not None:
            raise ValueError(message)
        return h

    model = type(cls_name, (nn.Module,), {"forward": forward})()
    model.blocks = nn.ModuleDict()
    model.blocks.add_module(name, Block(None if root else message))
    return model


class Written:
    """The files of one render: the main SVG and drill-ins (parsed), the report, the DOT, the record."""

    def __init__(self, out: Path, paths: list[str]) -> None:
        self.paths = paths
        self.svgs = {Path(p).name: ET.fromstring(Path(p).read_bytes()) for p in paths if p.endswith(".svg")}
        self.svg = self.svgs["x.svg"]
        self.dot = (out / "x.dot").read_text(encoding="utf-8") if (out / "x.dot").exists() else ""
        self.html = (out / "x.html").read_text(encoding="utf-8")  # strict UTF-8: no lone surrogate got in
        self.trace = Trace.from_json((out / "x.json").read_text(encoding="utf-8"))

    def texts(self, name: str = "x.svg") -> list[str]:
        return [el.text or "" for el in self.svgs[name].iter(SVG + "text")]

    def tooltips(self, name: str = "x.svg") -> list[str]:
        return [t for el in self.svgs[name].iter() if (t := el.get(XLINK + "title")) is not None]


def render(model: nn.Module, out: Path, formats: str = "svg,html,json,dot") -> Written:
    paths = archviz.render(model, torch.randn(2, 4), out=out, formats=formats, name="x")
    return Written(out, paths)


class Page(HTMLParser):
    """Script elements (with their type and text) and every attribute name of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str]] = []
        self.attributes: list[str] = []
        self._in_script: dict[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [a for a, _ in attrs]
        if tag == "script":
            self._in_script = {"type": dict(attrs).get("type") or "", "id": dict(attrs).get("id") or "", "text": ""}
            self.scripts.append(self._in_script)

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._in_script["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def executable(self) -> list[dict[str, str]]:
        return [s for s in self.scripts if s["type"] in ("", "text/javascript", "module")]

    def panels(self) -> dict[str, Any]:
        return json.loads(next(s["text"] for s in self.scripts if s["id"] == "panels"))


def assert_report_is_safe(html: str) -> Page:
    page = Page(html)
    assert len(page.executable()) == 1  # the report's own script, nothing a name or message brought
    assert not [a for a in page.attributes if a.lower().startswith("on")]
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", html)  # no control character on the page
    page.panels()  # the panel JSON parses
    return page


# ---------------------------------------------------------------------------------------------
# the sanitiser's rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # ANSI colours removed
        ("\x1b]8;;http://x\x07link\x1b]8;;\x07", "link"),  # an OSC hyperlink too
        ("a\x00b\x01c\x1bd", "a\\x00b\\x01c\\x1bd"),  # C0 shown as escapes
        ("del\x7f c1\x85\x9b", "del\\x7f c1\\x85\\x9b"),  # DEL and C1
        ("lone\ud800 \udfff", "lone\\ud800 \\udfff"),  # lone surrogates
        ("x\ufffe\uffff", "x\\ufffe\\uffff"),  # not XML characters
        ("crlf\r\nend\rtab\there", "crlf\nend\ntab here"),
        ("plain: é ü 字 😀 ⊙ σ", "plain: é ü 字 😀 ⊙ σ"),
    ],
)
def test_printable_rules(text: str, expected: str) -> None:
    assert printable(text) == expected
    assert printable(expected) == expected  # once is enough: the rules are idempotent


def test_shown_cuts_lines_and_the_whole() -> None:
    assert shown("k" * 300) == "k" * (LINE_CHARS - 1) + "…"
    assert len(shown(("k" * 150 + "\n") * 100)) == MESSAGE_CHARS
    folded = shown("k" * 450, fold=True)
    assert folded.split("\n") == ["k" * LINE_CHARS, "k" * LINE_CHARS, "k" * 50]
    assert clip("short", 10) == "short"


def test_json_safe_escapes_only_lone_surrogates() -> None:
    text = json.dumps({"k\ud800": "v\udfff é"}, ensure_ascii=False)
    safe = json_safe(text)
    assert safe.encode("utf-8") and json.loads(safe) == {"k\ud800": "v\udfff é"}


def test_dot_helpers_escape_for_their_place() -> None:
    assert esc("a<b>&\\N\n") == 'a&lt;b&gt;&amp;\\\\N<BR ALIGN="LEFT"/>'
    assert quote('a"\\N&\nb') == '"a\\"\\\\N&amp;\\nb"'
    assert tooltip("a\\N") == '"a\\\\\\\\N"'  # expanded twice by Graphviz: doubled twice
    assert quote("call-0001") == '"call-0001"' and esc("[3, 20]") == "[3, 20]"  # ordinary text unchanged


# ---------------------------------------------------------------------------------------------
# one test per class of hostile text, through a whole render
# ---------------------------------------------------------------------------------------------


def test_ansi_colours_in_a_submodule_exception(tmp_path: Path) -> None:
    message = "\x1b[1;31mshape mismatch\x1b[0m: \x1b[33m[2, 4]\x1b[0m"
    w = render(hostile(message=message), tmp_path)
    assert w.trace.failure is not None and w.trace.failure.message == message  # the record keeps it all
    assert "\x1b" not in w.dot and "\x1b" not in w.html
    assert any("shape mismatch: [2, 4]" in t for t in w.texts())
    assert "shape mismatch: [2, 4]" in w.html
    assert_report_is_safe(w.html)


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\x7f", "\x85", "\x9b"])
def test_control_characters_in_names_and_messages(tmp_path: Path, bad: str) -> None:
    name, message = f"key{bad}end", f"failed{bad}here"
    cls = f"Cls{bad}".replace("\x00", "")  # type() refuses NUL in a class name
    w = render(hostile(name, cls, message), tmp_path)
    visible = printable(bad)
    assert visible.startswith("\\x")
    assert any(f"blocks.key{visible}end" in t for t in w.texts())
    assert any(f"failed{visible}here" in t for t in w.tooltips())
    assert any(c.name == f"blocks.key{bad}end" for c in w.trace.calls)
    assert w.trace.model_class == cls and w.trace.failure and w.trace.failure.message == message
    assert_report_is_safe(w.html)


def test_lone_surrogates_in_names_and_messages(tmp_path: Path) -> None:
    w = render(hostile("s\ud800", message="bad \udc80 byte"), tmp_path)  # (type() refuses them in a class name)
    assert any("blocks.s\\ud800" in t for t in w.texts())
    assert any(c.name == "blocks.s\ud800" for c in w.trace.calls)
    assert w.trace.failure and w.trace.failure.message == "bad \udc80 byte"
    assert "\\ud800" in w.html
    page = assert_report_is_safe(w.html)
    assert any(p["title"] == "blocks.s\\ud800.proj" for p in page.panels().values())


@pytest.mark.parametrize("root", [False, True], ids=["submodule", "root"])
def test_a_23_kb_message_keeps_the_partial_diagram(tmp_path: Path, root: bool) -> None:
    message = "size mismatch " + "0123456789abcdef" * 1500  # ~24 KB, one line
    w = render(hostile(message=message, root=root), tmp_path)
    assert w.trace.failure is not None and w.trace.failure.message == message
    assert "//" not in w.dot  # never a DOT comment
    assert max(len(line) for line in w.dot.splitlines()) < 16384  # Graphviz's token limit
    shown_text = " ".join(w.texts() + w.tooltips())
    assert "size mismatch" in shown_text and "…" in shown_text
    assert all(len(t) <= MESSAGE_CHARS + 200 for t in w.tooltips())
    assert message in w.html  # the report's failure section has all of it
    assert_report_is_safe(w.html)


def test_a_20_kb_module_dict_key(tmp_path: Path) -> None:
    key = "k" * 20000
    w = render(hostile(key), tmp_path)
    assert any(c.name == f"blocks.{key}" for c in w.trace.calls)
    assert max(len(t) for t in w.texts()) <= LINE_CHARS + 10
    assert any(t.startswith("blocks.kkk") and t.endswith("…") for t in w.texts())
    assert all(len(Path(p).name.encode()) <= 120 for p in w.paths)
    assert_report_is_safe(w.html)


@pytest.mark.parametrize("escape", ESCAPES)
def test_graphviz_escapes_show_literally(tmp_path: Path, escape: str) -> None:
    name = f"a{escape}b"
    w = render(hostile(name, f"C{escape}"), tmp_path)
    assert f"blocks.{name}.proj" in w.texts()  # a box's name, as spelled
    assert f"blocks.{name}.proj (Linear)" in w.tooltips()  # its tooltip
    assert f"blocks.{name}: Block" in w.texts()  # a frame's label
    assert f"C{escape}: C{escape}" in w.texts()  # the title: model name and class
    drill = next(n for n in w.svgs if n.endswith(".gates.svg"))
    assert any(f"blocks.{name}.cell" in t for t in w.texts(drill))  # the gate drill-in's title


@pytest.mark.parametrize("entity", ["&#60;", "&lt;", "&amp;", "&#x3C;script&#x3E;", "&quot;"])
def test_html_entities_show_literally(tmp_path: Path, entity: str) -> None:
    name = f"e{entity}e"
    w = render(hostile(name), tmp_path)
    assert f"blocks.{name}.proj" in w.texts()
    assert f"blocks.{name}.proj (Linear)" in w.tooltips()
    page = assert_report_is_safe(w.html)
    assert any(p["title"] == f"blocks.{name}.proj" for p in page.panels().values())


def test_gate_drill_in_text_is_sanitised() -> None:
    evil = "g\\N\x1b[31m&#60;\x00\ud800" + "w" * 300
    nodes = (
        WireNode("x", WireKind.INPUT, "x(t)" + evil, shape=(2, 4)),
        WireNode("z", WireKind.GATE, "σ", name=evil, shape=(2, 4), detail=evil * 80),
        WireNode("m", WireKind.POINTWISE, "⊙", name=evil),
        WireNode("h", WireKind.OUTPUT, "h(t)", shape=(2, 4)),
    )
    edges = (WireEdge("x", "z", (2, 4)), WireEdge("z", "m"), WireEdge("m", "h", (2, 4)))
    cell = Cell("cell-0", "call-0001", "blocks." + evil, CellMode.CUSTOM, nodes=nodes, edges=edges, notes=(evil,))
    opaque = Cell("cell-1", "call-0002", evil, CellMode.CUSTOM, notes=(evil * 100,))
    for c in (cell, opaque):
        root = ET.fromstring(graphviz.render(gates.cell_dot(c), "svg"))
        texts = [el.text or "" for el in root.iter(SVG + "text")]
        titles = [t for el in root.iter() if (t := el.get(XLINK + "title"))]
        joined = "".join(texts)
        assert "g\\N&#60;\\x00\\ud800" in joined and "\x1b" not in joined
        assert all(len(t) <= MESSAGE_CHARS for t in titles)
    title = "".join(el.text or "" for el in root.iter(SVG + "text"))
    assert printable(evil) in title  # the full path, folded over the title's lines


def test_no_user_text_in_dot_comments() -> None:
    trace = capture.trace_model(hostile(message="x\n// y", root=True), (torch.randn(2, 4),), name="m")
    text = dot.to_dot(view.build(trace))
    assert not [line for line in text.splitlines() if line.lstrip().startswith("//")]
    root = ET.fromstring(graphviz.render(text, "svg"))
    assert "ValueError: x // y" in [el.text for el in root.iter(SVG + "text")]  # shown under the title


# ---------------------------------------------------------------------------------------------
# random text of every kind (Hypothesis)
# ---------------------------------------------------------------------------------------------

SPECIAL = st.sampled_from(
    ["\x1b[31m", "\x1b[0m", "\x00", "\x07", "\x1b", "\x85", "\x9b", "\x7f", "\r\n", "\t", "\n", "\ud800", "\udfff",
     "\ufffe", "\\N", "\\G", "\\L", "\\E", "\\T", "\\H", "\\l", "\\r", "\\n", "\\", "&#60;", "&lt;", "&amp;", '"',
     "'", "<script>alert(1)</script>", "</script>", "]]>", "-->", "<!--", "{", "}", "<", ">", "|", "😀", "\u202e"]
)  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())  # every category, surrogates included
LONG = st.builds(lambda piece, n: piece * n, st.text(ANY_CHAR, min_size=1, max_size=4), st.integers(1, 5000))
TEXT = (
    st.lists(st.one_of(st.text(ANY_CHAR, max_size=20), SPECIAL, LONG), max_size=4)
    .map("".join)
    # A high surrogate before a low one is a pair JSON cannot tell from the character it encodes.
    .map(lambda s: re.sub("([\ud800-\udbff])(?=[\udc00-\udfff])", "\\1|", s))
)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(name=TEXT, cls_name=TEXT, message=st.none() | TEXT, root=st.booleans())
def test_any_text_gives_a_diagram_a_safe_report_and_an_exact_record(
    tmp_path_factory: pytest.TempPathFactory, name: str, cls_name: str, message: str | None, root: bool
) -> None:
    key = "m_" + name.replace(".", "_")  # torch refuses `.` in a module name, and attribute names
    cls = re.sub("[\x00\ud800-\udfff]", "?", cls_name)  # type() refuses NUL and surrogates in a class name
    out = tmp_path_factory.mktemp("any")
    paths = archviz.render(
        hostile(key, cls, message, root), torch.randn(2, 4), out=out, formats="svg,html,json", name="x"
    )
    assert str(out / "x.svg") in paths and str(out / "x.html") in paths  # laid out, even when forward failed
    for p in paths:
        if p.endswith(".svg"):
            ET.parse(p)  # well-formed XML
    assert_report_is_safe((out / "x.html").read_text(encoding="utf-8"))
    trace = Trace.from_json((out / "x.json").read_text(encoding="utf-8"))
    assert Trace.from_json(trace.to_json()) == trace
    assert trace.model_class == cls and any(c.name == f"blocks.{key}" for c in trace.calls)
    if message is not None:
        assert trace.failure is not None and trace.failure.message == message
