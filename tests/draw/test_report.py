"""Tests of the HTML report without a browser: self-containment and CSP, the data behind the page, escaping,
the failure section, and the Jupyter reprs of a record.

The page is parsed with `html.parser.HTMLParser` into a small element tree (see `Doc`) so the tests look at
what a browser would see (decoded text and attributes), and at the raw text where escaping is the point.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import inspect
import json
import re
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import torch
from click.testing import CliRunner
from conftest import ROOT
from torch import nn

import archviz
from archviz import api
from archviz.analysis import annotate
from archviz.analysis.saturation import gate_spreads
from archviz.app import trace_file
from archviz.cli import main
from archviz.draw.html.embed import size_text
from archviz.draw.html.resources import templates_dir
from archviz.kinds import CallKind
from archviz.load import loader, userfile
from archviz.record import Trace, shape_text

EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = ["gru", "mogrifier", "bilstm_classifier"]
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# ---------------------------------------------------------------------------------------------
# a tiny element tree from html.parser
# ---------------------------------------------------------------------------------------------


class El:
    """One element: tag, attributes (as parsed, in order), parent, and its content in order."""

    def __init__(self, tag: str, attrs: list[tuple[str, str | None]], parent: El | None) -> None:
        self.tag = tag
        self.attr_list = attrs
        self.attrs = dict(attrs)
        self.parent = parent
        self.parts: list[El | str] = []

    @property
    def children(self) -> list[El]:
        return [p for p in self.parts if isinstance(p, El)]

    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)

    def iter(self):  # type: ignore[no-untyped-def]
        yield self
        for c in self.children:
            yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[El]:
        want = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            el for el in self.iter()
            if el is not self and (tag is None or el.tag == tag) and all(el.attrs.get(k) == v for k, v in want.items())
        ]  # fmt: skip

    def find(self, tag: str | None = None, **attrs: str) -> El:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def ancestors(self) -> list[El]:
        out, cur = [], self.parent
        while cur is not None:
            out.append(cur)
            cur = cur.parent
        return out

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class Doc(HTMLParser):
    """Parse HTML text into an `El` tree rooted at `self.root`."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.raw = text
        self.root = El("#document", [], None)
        self.cur = self.root
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = El(tag, attrs, self.cur)
        self.cur.parts.append(el)
        if tag not in VOID:
            self.cur = el

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.cur.parts.append(El(tag, attrs, self.cur))

    def handle_endtag(self, tag: str) -> None:
        node: El | None = self.cur
        while node is not None and node is not self.root and node.tag != tag:
            node = node.parent
        if node is not None and node is not self.root:
            self.cur = node.parent  # type: ignore[assignment]

    def handle_data(self, data: str) -> None:
        self.cur.parts.append(data)

    # shortcuts
    def find_all(self, tag: str | None = None, **attrs: str) -> list[El]:
        return self.root.find_all(tag, **attrs)

    def find(self, tag: str | None = None, **attrs: str) -> El:
        return self.root.find(tag, **attrs)

    def by_id(self, element_id: str) -> El:
        return self.find(id=element_id)

    def diagram(self) -> El:
        return self.by_id("diagram").find("svg")

    def panels(self) -> dict[str, Any]:
        return json.loads(self.by_id("panels").text())

    def record(self) -> Trace:
        """The record embedded in the page (gzip + base64), as the Download button hands it over."""
        el = self.by_id("record-data")
        assert el.tag == "script" and el.attrs.get("data-encoding") == "gzip+base64"
        return Trace.from_json(gzip.decompress(base64.b64decode(el.text())).decode("utf-8"))

    def facts(self) -> dict[str, El]:
        """The header's <dt> name -> its <dd>."""
        out = {}
        for div in self.find("dl").children:
            out[div.find("dt").text().strip()] = div.find("dd")
        return out

    def layer_rows(self) -> list[El]:
        return self.by_id("layer-table").find("tbody").find_all("tr")


def norm(text: str) -> str:
    return " ".join(text.split())


def flat_tensors(value: Any) -> list[torch.Tensor]:
    """Tensors of a nested output (tuple, list, dict, namedtuple), in order."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flat_tensors(v)]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flat_tensors(v)]
    return []


def dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


# ---------------------------------------------------------------------------------------------
# the three examples, rendered once per module
# ---------------------------------------------------------------------------------------------


class Report:
    def __init__(self, name: str, out: Path, paths: list[str]) -> None:
        self.name = name
        self.out = out
        self.paths = paths
        self.html = (out / f"{name}.html").read_text(encoding="utf-8")
        self.doc = Doc(self.html)
        self.trace = self.doc.record()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Report]:
    out = tmp_path_factory.mktemp("reports")
    found = {}
    for name in EXAMPLE_NAMES:
        paths = archviz.render(str(EXAMPLES / f"{name}.py"), out=out, formats="svg,html")
        found[name] = Report(name, out, paths)
    return found


@pytest.fixture(params=EXAMPLE_NAMES)
def report(request, reports) -> Report:
    return reports[request.param]


@pytest.fixture(scope="module")
def reference():
    """Model, args and plain forward-pass output of each example, loaded the way the CLI loads them."""
    cache: dict[str, tuple[nn.Module, tuple[Any, ...], Any]] = {}

    def get(name: str) -> tuple[nn.Module, tuple[Any, ...], Any]:
        if name not in cache:
            path = str(EXAMPLES / f"{name}.py")
            with userfile.user_path(path):
                found = loader.load(path)
            assert isinstance(found, loader.Loaded)
            with torch.no_grad():
                out = found.model(*found.args, **found.kwargs)
            cache[name] = (found.model, tuple(found.args), out)
        return cache[name]

    return get


def test_render_writes_the_report(report):
    html_path = str(report.out / f"{report.name}.html")
    assert html_path in report.paths
    assert report.html.startswith("<!DOCTYPE html>")
    assert report.doc.find("html").attrs.get("lang") == "en"


# ---------------------------------------------------------------------------------------------
# self-contained: CSP, no external anything
# ---------------------------------------------------------------------------------------------


def csp_directives(doc: Doc) -> dict[str, list[str]]:
    metas = [m for m in doc.find_all("meta") if (m.attrs.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(metas) == 1, f"{len(metas)} CSP meta elements"
    meta = metas[0]
    assert doc.find("head") in meta.ancestors(), "a CSP <meta> only counts inside <head>"
    policy = meta.attrs.get("content") or ""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            assert words[0] not in out, f"directive {words[0]} twice"
            out[words[0]] = words[1:]
    return out


def assert_csp_matches_script(doc: Doc) -> None:
    directives = csp_directives(doc)
    assert directives["default-src"] == ["'none'"]
    scripts = doc.find_all("script")
    js_types = ("text/javascript", "module")
    executable = [s for s in scripts if (s.attrs.get("type") or "text/javascript").lower() in js_types]
    assert len(executable) == 1, [s.attrs for s in scripts]
    assert "src" not in executable[0].attrs
    digest = base64.b64encode(hashlib.sha256(executable[0].text().encode("utf-8")).digest()).decode("ascii")
    assert directives["script-src"] == [f"'sha256-{digest}'"]
    # nothing in the CSP re-opens the network that default-src closed
    for name, values in directives.items():
        opened = [v for v in values if v.startswith(("http:", "https:", "*")) or v in ("'self'", "blob:")]
        assert not opened, (name, values)
    assert not {"'unsafe-inline'", "'unsafe-eval'", "data:"} & set(directives["script-src"])
    assert directives.get("base-uri") == ["'none'"] and directives.get("form-action") == ["'none'"]


def assert_self_contained(doc: Doc) -> None:
    urls = set(re.findall(r"(?i)\bhttps?://[^\s\"'<>()]*", doc.raw))
    assert urls <= NAMESPACES, urls - NAMESPACES
    for el in doc.root.iter():
        for name, value in el.attr_list:
            if name == "xmlns" or name.startswith("xmlns:"):
                assert value in NAMESPACES, (el.tag, name, value)
                continue
            assert name != "src", (el.tag, name, value)
            if name in ("href", "xlink:href", "action", "formaction", "poster", "srcset", "background"):
                value = value or ""
                assert value.startswith("#"), (el.tag, name, value[:80])
            if name == "style":
                assert "url(" not in (value or ""), (el.tag, value)
    assert not doc.find_all("link"), "no <link> at all: no stylesheet, font or preload"
    for tag in ("iframe", "object", "embed", "img", "image", "base", "form", "video", "audio", "source"):
        assert not doc.find_all(tag), tag
    styles = doc.find_all("style")
    assert len(styles) == 1
    css = styles[0].text()
    for word in ("@import", "@font-face", "url("):
        assert word not in css, word


def test_csp_meta_allows_exactly_the_page_script(report):
    assert_csp_matches_script(report.doc)


def test_csp_comes_before_style_and_script(report):
    head = report.doc.find("head")
    order = [el.tag if el.tag != "meta" else (el.attrs.get("http-equiv") or "meta") for el in head.children]
    assert order.index("Content-Security-Policy") < order.index("style")
    assert all(s.ancestors()[0].tag == "body" for s in report.doc.find_all("script"))


def test_report_is_self_contained(report):
    assert_self_contained(report.doc)


def test_script_elements(report):
    scripts = report.doc.find_all("script")
    assert [s.attrs.get("id") for s in scripts] == ["panels", "folded", "diagrams", "badges", "record-data", None]
    assert [s.attrs.get("type") for s in scripts] == [
        "application/json",
        "application/json",
        "application/json",
        "application/json",
        "application/octet-stream",
        None,
    ]
    # the page script as shipped, byte for byte (the CSP hash is computed from the file)
    shipped = (templates_dir() / "report.js").read_text(encoding="utf-8")
    assert scripts[5].text() == shipped


# ---------------------------------------------------------------------------------------------
# the data behind the page
# ---------------------------------------------------------------------------------------------


def test_embedded_record_is_the_rolled_trace(report, reference):
    button = report.doc.by_id("download")
    assert button.tag == "button" and button.attrs.get("data-name") == f"{report.name}.json"
    t = report.trace
    assert t.source_file == f"{report.name}.py"
    assert t.failure is None
    assert t.calls[0].kind == CallKind.MODULE and t.calls[0].parent is None
    assert not t.lint()
    model, args, _ = reference(report.name)
    full = archviz.trace(model, *args)
    ids = {c.id for c in full.calls}
    assert {c.id for c in t.calls} <= ids
    if report.name == "bilstm_classifier":  # no loop in Python: nothing to fold, the whole record
        assert "rolled" not in dict(t.meta) and len(t.calls) == len(full.calls)
    else:
        kept, total = dict(t.meta)["rolled"].split(" of ")
        assert int(kept) == len(t.calls) < int(total.split()[0]) == len(full.calls)
        loops = json.loads(dict(t.meta)["loops"])
        assert loops and all(lp["count"] >= 2 and set(lp["first_step"]) <= {c.id for c in t.calls} for lp in loops)
    # every module call kept has the very shapes the full record has
    by_id = {c.id: c for c in full.calls}
    for c in t.calls:
        assert [x.shape for x in c.inputs] == [x.shape for x in by_id[c.id].inputs], c.id
        assert [x.shape for x in c.outputs] == [x.shape for x in by_id[c.id].outputs], c.id
    # the size on the button is the JSON's
    size = norm(button.text())
    assert size.startswith("Download the record (JSON, ") and size.endswith("KB)")
    # the second button downloads the same
    assert [b.attrs.get("class") for b in report.doc.by_id("record").find_all("button")] == ["download"]


def panel_for(panels: dict[str, Any], call) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    found = [
        p
        for p in panels.values()
        if p["kind"] == CallKind.MODULE and p["title"] == call.name and p["type"] == call.type
    ]
    assert found, f"no panel for {call.type} {call.name!r}"
    return found[0]


def tensors(items) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(t.path, shape_text(t.shape), t.dtype) for t in items]


def shown(items: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(t["path"], t["shape"], t["dtype"]) for t in items]


def test_panel_json_parses_and_has_no_raw_markup(report):
    text = report.doc.by_id("panels").text()
    assert "<" not in text and ">" not in text and "&" not in text
    panels = json.loads(text)
    assert panels and all(isinstance(k, str) for k in panels)
    keys = {"title", "type", "kind", "inputs", "outputs", "params", "total_params", "source", "loop", "error"}
    keys |= {"gates", "cells", "notes", "findings"}
    frames = {k: p for k, p in panels.items() if p["kind"] in ("loop", "repeat")}
    assert all(set(p) == keys for k, p in panels.items() if k not in frames)
    assert all(set(p) == keys | {"members", "box"} for p in frames.values())  # loop and repeat frames


def test_panel_shapes_match_the_record_for_every_module_call(report):
    panels = report.doc.panels()
    t = report.trace
    module_calls = [c for c in t.calls if c.kind == CallKind.MODULE]
    assert len(module_calls) > 1
    for c in module_calls[1:]:
        p = panel_for(panels, c)
        assert shown(p["inputs"]) == tensors(c.inputs), c.name
        assert shown(p["outputs"]) == tensors(c.outputs), c.name
        assert p["total_params"] == f"{c.params:,}"
        assert [(q["name"], q["shape"]) for q in p["params"]] == [(q.name, shape_text(q.shape)) for q in c.param_list]
    # the root call's tensors are the model inputs and outputs, one panel each
    root = module_calls[0]
    for i, tm in enumerate(t.inputs):
        assert shown(panels[f"in-{i}"]["outputs"]) == tensors((tm,))
    for i, tm in enumerate(t.outputs):
        assert shown(panels[f"out-{i}"]["inputs"]) == tensors((tm,))
    assert [shape_text(x.shape) for x in root.inputs] == [shape_text(x.shape) for x in t.inputs]
    assert [shape_text(x.shape) for x in root.outputs] == [shape_text(x.shape) for x in t.outputs]


def test_every_panel_and_row_points_at_a_diagram_element(report):
    ids = {el.attrs.get("id") for el in report.doc.diagram().iter()}
    panels = report.doc.panels()
    assert set(panels) <= ids, set(panels) - ids
    for row in report.doc.layer_rows():
        element = row.attrs.get("data-element") or row.attrs.get("data-id")  # drawn in a box of its own
        assert element in panels and element in ids, element


def test_header_inputs_outputs_are_the_real_shapes(report, reference):
    _, args, out = reference(report.name)
    facts = report.doc.facts()
    shown_in = [norm(c.text()) for c in facts["inputs"].find_all("code")]
    params = list(
        inspect.signature(reference(report.name)[0].forward).parameters
    )  # inputs are named as forward names them
    real_in = [f"{params[i]} {shape_text(tuple(a.shape))} {dtype_name(a)}" for i, a in enumerate(args)]
    assert shown_in == real_in
    shown_out = [norm(c.text()).split(" ", 1)[1] for c in facts["outputs"].find_all("code")]
    real_out = [f"{shape_text(tuple(o.shape))} {dtype_name(o)}" for o in flat_tensors(out)]
    assert shown_out == real_out
    assert norm(report.doc.find("h1").text()) == f"{report.trace.model_name} {type(reference(report.name)[0]).__name__}"


def test_header_parameter_total_is_the_models(report, reference):
    model, _, _ = reference(report.name)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    text = norm(report.doc.facts()["parameters"].text())
    m = re.match(r"([\d,]+) \(([\d,]+) trainable, ([\d,]+) frozen, ([\d.]+) (bytes|KB|MB|GB)\)$", text)
    assert m, text
    assert m.group(1) == f"{total:,}" and m.group(2) == f"{trainable:,}" and m.group(3) == f"{total - trainable:,}"
    size = sum(p.numel() * p.element_size() for p in model.parameters())
    shown_size = float(m.group(4)) * 1024 ** ["bytes", "KB", "MB", "GB"].index(m.group(5))
    assert shown_size == pytest.approx(size, rel=0.006)


@functools.cache
def full_traces(name: str) -> Trace:
    return annotate(trace_file(str(EXAMPLES / f"{name}.py")).trace)


EXPECTED_CELLS = {"gru": (2, ["z", "r", "n"]), "bilstm_classifier": (4, ["i", "f", "g", "o"]), "mogrifier": (1, None)}


def test_a_section_per_recurrent_cell(report):
    count, gate_names = EXPECTED_CELLS[report.name]
    t = report.trace
    assert len(t.cells) == count
    sections = [s for s in report.doc.find_all("section") if "cell" in s.classes()]
    assert [s.attrs.get("id") for s in sections] == [f"cell-{i}" for i in range(count)]
    for cell, section in zip(t.cells, sections, strict=True):
        title = norm(section.find("h2").text())
        svg = section.find("div", class_="cell-diagram").find("svg")
        texts = [norm(el.text()) for el in svg.iter() if el.tag == "text"]
        assert texts and title.startswith(texts[0]), (title, texts[:2])  # the drill-in of this very cell
        rows = section.find("table", class_="gates").find("tbody").find_all("tr")
        cols = [[norm(td.text()) for td in r.find_all("td")] for r in rows]
        if not cell.custom:  # a built-in module's cells: which layer and direction each gate belongs to
            assert all(c[:2] == [str(cell.layer), cell.direction or ""] for c in cols)
            cols = [c[2:] for c in cols]
        assert [c[0] for c in cols] == [g.name for g in cell.gates]
        assert [c[1] for c in cols] == [g.activation for g in cell.gates]
        assert [c[2] for c in cols] == [shape_text(g.shape) for g in cell.gates]
        if gate_names is not None:
            assert [c[0] for c in cols] == gate_names
        # each gate's spread over every step, as the record has it: saturated fractions and 10 bars
        full = full_traces(report.name)  # (the page's record is rolled: one step of each loop)
        spreads = {s.gate: s.stats for s in gate_spreads(full, full.cells[t.cells.index(cell)])}
        assert set(spreads) == {g.name for g in cell.gates}
        hists = [r.find_all("td")[-1].find("svg") for r in rows]
        for c, hist in zip(cols, hists, strict=True):
            stats = spreads[c[0]]
            assert c[-2].startswith(f"{stats.low:.0%} < ") and c[-2].endswith(f"of {stats.count:,}")
            label = hist.attrs.get("aria-label") or ""
            assert label.endswith(": " + ", ".join(map(str, stats.hist))) and stats.kind in label
            heights = [float(el.attrs["height"]) for el in hist.iter() if el.tag == "rect"]
            tallest = max(stats.hist)
            assert len(heights) == 10 and heights[stats.hist.index(tallest)] == 16.0
            assert all((h > 0) == (n > 0) for h, n in zip(heights, stats.hist, strict=True))
        link = section.find("a")
        assert (link.attrs.get("href") or "").lstrip("#") in {el.attrs.get("id") for el in report.doc.diagram().iter()}


def test_bilstm_cells_are_verified(reports):
    r = reports["bilstm_classifier"]
    for i in range(4):
        section = r.doc.by_id(f"cell-{i}")
        badge = [el for el in section.find_all("span") if "badge" in el.classes()]
        assert len(badge) == 1 and norm(badge[0].text()) == "verified" and "ok" in badge[0].classes()
        assert r.trace.cells[i].check is not None and r.trace.cells[i].check.verified
    assert not r.doc.find_all(id="warnings")


def test_custom_cells_have_no_verification_badge(reports):
    for name in ("gru", "mogrifier"):
        for s in reports[name].doc.find_all("section", class_="cell"):
            assert not [el for el in s.find_all("span") if "badge" in el.classes()]


def test_module_tree_has_a_row_per_module_drawn(report, reference):
    """One row per module call drawn: a loop's steps and repeated layers are one row, ×N, with the
    shapes of the call drawn; every module the forward pass called is in a row."""
    model, _, _ = reference(report.name)
    t = report.trace
    rows = report.doc.layer_rows()
    assert rows
    loops = json.loads(dict(t.meta).get("loops", "[]"))
    in_loop = {cid: lp["count"] for lp in loops if not lp["repeat"] for cid in lp["first_step"]}
    seen = set()
    for row in rows:
        c = t.call(row.attrs["data-id"] or "")
        assert c.kind == CallKind.MODULE and c.parent is not None
        cols = [norm(td.text()) for td in row.find_all("td")]
        assert cols[0] == c.name and cols[1] == c.type
        times = max((in_loop.get(a, 1) for a in [c.id, *(x.id for x in ancestors(t, c))]), default=1)
        assert cols[2] == (f"×{times}" if times > 1 else "")
        assert cols[3] == ", ".join(shape_text(x.shape) for x in c.inputs[:4])
        assert cols[4] == ", ".join(shape_text(x.shape) for x in c.outputs[:4])
        real = sum(p.numel() for p in model.get_submodule(c.name).parameters())
        assert cols[5] == f"{real:,}", c.name
        assert type(model.get_submodule(c.name)).__name__ == c.type
        parent = row.attrs.get("data-parent")
        assert parent == "" or parent in {r.attrs["data-id"] for r in rows}
        level = int(row.attrs["aria-level"] or 0)
        assert level == 1 + sum(1 for a in ancestors(t, c) if a.parent is not None and a.kind == CallKind.MODULE)
        seen.add(c.name)
    called = {name for name, m in model.named_modules() if name} & {c.name for c in t.calls}
    assert called == seen


def ancestors(t: Trace, c) -> list:  # type: ignore[no-untyped-def]
    out = []
    while c.parent is not None:
        c = t.call(c.parent)
        out.append(c)
    return out


def test_example_rows_name_the_expected_layers(reports):
    paths = {name: {norm(r.find("td").text()) for r in reports[name].doc.layer_rows()} for name in EXAMPLE_NAMES}
    assert {"cells.0.update_gate", "cells.1.candidate"} <= paths["gru"]
    assert {"lstm", "embedding", "classifier"} <= paths["bilstm_classifier"]
    assert {"cell", "cell.ih", "cell.hh", "cell.q.0", "cell.r.1"} <= paths["mogrifier"]
    gru_times = {norm(r.find("td").text()): norm(r.find_all("td")[2].text()) for r in reports["gru"].doc.layer_rows()}
    assert gru_times["cells.0"] == "×5" and gru_times["cells.0.update_gate"] == "×5"


# ---------------------------------------------------------------------------------------------
# escaping: hostile module and class names
# ---------------------------------------------------------------------------------------------

EVIL = "<script>alert(1)</script>"
HOSTILE_NAMES = [
    EVIL + " \"dq\" 'sq' {braces} {{ 7*7 }} back\\slash\\ \nnext line",
    'x" onmouseover="alert(2)',
    "--><img src=x onerror=alert(3)><!--",
    "</style></title></textarea>]]>",
]
HOSTILE_CLASS = EVIL + ' "cls" {c} \\'


def hostile_model() -> nn.Module:
    class Hostile(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # widths differ: four identical layers would fold into one frame ×4, whatever their names
            for i, name in enumerate(HOSTILE_NAMES):
                self.add_module(name, nn.Linear(4 + i, 5 + i))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for name in HOSTILE_NAMES:
                x = getattr(self, name)(x)
            return x

    Hostile.__name__ = Hostile.__qualname__ = HOSTILE_CLASS
    return Hostile()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Doc:
    out = tmp_path_factory.mktemp("hostile")
    # an explicit file stem: the default one (the class name) is a bug of its own, see below
    paths = archviz.render(hostile_model(), torch.randn(2, 4), out=out, formats="svg,html", name="hostile")
    assert str(out / "hostile.html") in paths
    return Doc((out / "hostile.html").read_text(encoding="utf-8"))


def test_hostile_names_one_page_script_only(hostile):
    scripts = hostile.find_all("script")
    assert [s.attrs.get("id") for s in scripts] == ["panels", "folded", "diagrams", "badges", "record-data", None]
    assert "type" not in scripts[5].attrs
    assert_csp_matches_script(hostile)


def test_hostile_names_no_event_handler_attributes(hostile):
    handlers = [
        (el.tag, name) for el in hostile.root.iter() for name, _ in el.attr_list if name.lower().startswith("on")
    ]
    assert not handlers
    for tag in ("img", "textarea", "iframe", "object", "embed"):
        assert not hostile.find_all(tag), tag
    assert len(hostile.find_all("style")) == 1
    page_titles = [el for el in hostile.find_all("title") if not any(a.tag == "svg" for a in el.ancestors())]
    assert len(page_titles) == 1 and page_titles[0].parent is hostile.find("head")


def test_hostile_names_appear_only_escaped(hostile):
    raw = hostile.raw
    for needle in (EVIL, "<img", 'x" onmouseover', "</style></title>", "alert(1)</script>"):
        assert needle not in raw, needle
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in hostile.by_id("panels").text()
    assert "{{ 7*7 }}" in raw  # not rendered as a template either
    # ...and shown as text: the class in the header, the module paths in the table and the panels
    assert norm(HOSTILE_CLASS) in norm(hostile.find("h1").text())
    assert [r.find("td").text() for r in hostile.layer_rows()] == HOSTILE_NAMES
    titles = {p["title"] for p in hostile.panels().values()}
    assert set(HOSTILE_NAMES) <= titles
    texts = " ".join(norm(el.text()) for el in hostile.diagram().iter() if el.tag == "text")
    for name in HOSTILE_NAMES[1:]:
        assert norm(name) in texts


def test_hostile_names_self_contained(hostile):
    assert_self_contained(hostile)
    rec = hostile.record()
    assert rec.model_class == HOSTILE_CLASS
    assert [c.name for c in rec.calls[1:]] == HOSTILE_NAMES


def test_hostile_class_name_as_default_file_stem(tmp_path):
    paths = archviz.render(hostile_model(), torch.randn(2, 4), out=tmp_path, formats="svg,html")
    assert paths and all(Path(p).resolve().parent == tmp_path.resolve() for p in paths)
    assert any(p.endswith(".html") for p in paths)


# ---------------------------------------------------------------------------------------------
# more bugs found on the way
# ---------------------------------------------------------------------------------------------


class Tied(nn.Module):
    """A language-model head sharing the embedding matrix (weight tying), plus a root-level parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 10, bias=False)
        self.head.weight = self.embed.weight
        self.scale = nn.Parameter(torch.ones(4))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(tokens) * self.scale)


def test_parameter_total_counts_tied_weights_once(tmp_path):
    model = Tied()
    archviz.render(model, torch.tensor([[1, 2, 3]]), out=tmp_path, formats="svg,html", name="tied")
    doc = Doc((tmp_path / "tied.html").read_text(encoding="utf-8"))
    total = sum(p.numel() for p in model.parameters())
    assert norm(doc.facts()["parameters"].text()).startswith(f"{total:,} (")


def test_element_ids_are_unique(reports):
    for r in reports.values():
        ids = [el.attrs["id"] for el in r.doc.root.iter() if el.attrs.get("id")]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        assert not dupes, (r.name, dupes[:5])


# ---------------------------------------------------------------------------------------------
# a failing forward pass: the report is still written, and says where
# ---------------------------------------------------------------------------------------------

SHAPE_ERROR = """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        return self.fc2(h)


def build_model():
    return Net()


def example_inputs():
    return torch.randn(3, 4)
"""


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    folder = tmp_path_factory.mktemp("failing")
    path = folder / "bad.py"
    path.write_text(textwrap.dedent(SHAPE_ERROR).lstrip("\n"), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(folder / "out"), "--format", "svg,html"])
    return folder / "out", result


def real_error() -> str:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(16, 2))
    with pytest.raises(RuntimeError) as info:
        model(torch.randn(3, 4))
    return str(info.value)


def test_failure_exit_code_and_html_written(failing):
    out, result = failing
    assert result.exit_code == 1, (result.stdout, result.stderr)
    html_path = out / "bad.html"
    assert html_path.is_file() and str(html_path) in result.stdout
    assert "internal error" not in result.stderr


def test_failure_section(failing):
    out, _ = failing
    doc = Doc((out / "bad.html").read_text(encoding="utf-8"))
    section = doc.by_id("failure")
    assert section.tag == "section"
    text = norm(section.text())
    assert "RuntimeError" in text and "Linear 'fc2'" in text
    assert norm(real_error()) in norm(section.find("pre", class_="message").text())
    # what the CLI prints: where (file and line), the line itself, the inputs and the weights
    assert "in Net.forward (bad.py:13)" in text, text
    assert norm(section.find("pre", class_="code").text()) == "return self.fc2(h)"
    facts = {norm(d.find("dt").text()): norm(d.find("dd").text()) for d in section.find("dl").children}
    assert facts == {"inputs": "input [3, 8]", "weights": "weight [2, 16], bias [2]"}
    links = [a.attrs.get("href") or "" for a in section.find_all("a")]
    assert len(links) == 1 and links[0].startswith("#")
    target = links[0][1:]
    rec = doc.record()
    assert rec.failure is not None and rec.failure.call is not None
    failed = rec.call(rec.failure.call)
    assert failed.type == "Linear" and failed.name == "fc2"
    # the link points at the failing node in the diagram, whose panel shows the error
    nodes = [el for el in doc.diagram().iter() if el.attrs.get("id") == target]
    assert len(nodes) == 1 and "node" in nodes[0].classes()
    panel = doc.panels()[target]
    assert panel["title"] == "fc2" and panel["type"] == "Linear"
    assert real_error() in panel["error"]
    row = [r for r in doc.layer_rows() if (r.attrs.get("data-element") or r.attrs.get("data-id")) == target]
    assert len(row) == 1 and norm(row[0].find("td").text()) == "fc2"
    assert_self_contained(doc)
    assert_csp_matches_script(doc)


def test_failure_header_has_no_outputs(failing):
    out, _ = failing
    doc = Doc((out / "bad.html").read_text(encoding="utf-8"))
    facts = doc.facts()
    assert norm(facts["outputs"].text()) == "none"
    assert [norm(c.text()) for c in facts["inputs"].find_all("code")] == ["x [3, 4] float32"]  # forward's name


# ---------------------------------------------------------------------------------------------
# Jupyter reprs
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gru_record(reference):
    model, args, _ = reference("gru")
    return archviz.trace(model, *args), model


def test_trace_returns_a_record(gru_record):
    rec, model = gru_record
    assert isinstance(rec, Trace)
    assert rec.model_class == type(model).__name__ and rec.outputs[0].shape == (3, 5, 20)
    assert [c.id for c in rec.cells] == ["cell-0", "cell-1"]


def test_repr_svg_parses_and_names_the_modules(gru_record):
    rec, model = gru_record
    svg = api.svg(rec)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = " ".join(" ".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text"))
    called = {c.name for c in rec.calls[1:] if c.kind == CallKind.MODULE}
    linears = {n for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    assert linears and linears <= called
    missing = [n for n in sorted(called) if n not in texts]
    assert not missing


def test_repr_html_contains_the_svg(gru_record):
    rec, _ = gru_record
    fragment = rec._repr_html_()
    assert "<svg" in fragment
    assert "<?xml" not in fragment and "<!DOCTYPE" not in fragment
    doc = Doc(fragment)
    assert len(doc.find_all("svg")) == 1
    assert "StackedGRU" in doc.find("p").text() and "[3, 5, 20]" in doc.find("p").text()


def test_repr_html_escapes_a_hostile_model():
    rec = archviz.trace(hostile_model(), torch.randn(2, 4))
    fragment = rec._repr_html_()
    assert EVIL not in fragment and "<img" not in fragment
    doc = Doc(fragment)
    assert not doc.find_all("script")
    assert not [name for el in doc.root.iter() for name, _ in el.attr_list if name.lower().startswith("on")]
    ET.fromstring(api.svg(rec).encode("utf-8"))


def test_unverified_cell_is_listed_under_warnings(tmp_path):
    """A training-mode LSTM with inter-layer dropout cannot be recomputed: the report says why."""
    import archviz as _archviz

    model = torch.nn.LSTM(5, 4, num_layers=2, dropout=0.5).train()
    page = Path(_archviz.report(model, torch.randn(6, 3, 5), out=tmp_path)).read_text(encoding="utf-8")
    warnings = page.split('id="warnings"', 1)[1].split("</section>", 1)[0]
    assert "layer 0 · forward" in warnings and "dropout" in warnings
    assert page.count('class="badge no"') == 2


class GrowingPrefix(nn.Module):
    """Attention over a growing prefix: every step has its own shapes, so the loop does not roll."""

    def __init__(self) -> None:
        super().__init__()
        self.q = nn.Linear(8, 8)
        self.k = nn.Linear(8, 8)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        steps = []
        for t in range(h.shape[1]):
            steps.append(self.q(h[:, t : t + 1]) @ self.k(h[:, : t + 1]).transpose(1, 2))
        return torch.cat([s.sum(-1) for s in steps], 1)


def test_calls_inside_one_box_are_one_row_each_module(tmp_path):
    """Drawn whole (--depth 0), 6 steps of a loop that does not roll are one row per module, ×6, with the
    first and last call's shapes."""
    archviz.render(GrowingPrefix(), torch.randn(2, 6, 8), out=tmp_path, formats="html", name="grow", depth=0)
    doc = Doc((tmp_path / "grow.html").read_text(encoding="utf-8"))
    rows = {norm(r.find("td").text()): [norm(td.text()) for td in r.find_all("td")] for r in doc.layer_rows()}
    assert rows["q"][2:5] == ["×6", "[2, 1, 8]", "[2, 1, 8]"]
    assert rows["k"][2:5] == ["×6", "[2, 1, 8] … [2, 6, 8]", "[2, 1, 8] … [2, 6, 8]"]
    assert len(rows) == 3  # the model, q and k


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (17_300, "16.9 KB"),
        (1_048_575, "1 MB"),  # not `1024 KB`: a unit is never shown at 1024 or more
        (67_108_864, "64 MB"),
        (26_955_000_000, "25.1 GB"),
    ],
)
def test_sizes_read_as_people_write_them(size: int, text: str) -> None:
    assert size_text(size) == text
