"""The HTML report in a real browser: Playwright's sync API driving Debian's Chromium (/usr/bin/chromium).

Each example's report is opened from file:// with its CSP in force; the tests click the diagram and the layer
table, filter, follow a URL hash and zoom, and check that the page makes no network request and logs no error.
Screenshots are written to test-artifacts/report-<example>.png (an artifact; the assertions are on the DOM).
"""

from __future__ import annotations

import base64
import os
import struct
import textwrap
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:
    pytest.skip("the playwright package is not installed", allow_module_level=True)

import torch
from click.testing import CliRunner
from conftest import ROOT

import archviz
from archviz.cli import main
from archviz.kinds import CallKind
from archviz.load import loader, userfile
from archviz.record import Trace, shape_text

EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "test-artifacts"
EXAMPLE_NAMES = ["gru", "mogrifier", "bilstm_classifier"]
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# the module node clicked in each diagram, a filter query (matching module paths only) and a layer for the URL hash
NODE = {"gru": "cells.0.update_gate", "bilstm_classifier": "lstm", "mogrifier": "cell.ih"}
QUERY = {"gru": "reset_gate", "bilstm_classifier": "classifier", "mogrifier": "cell.hh"}
HASH_LAYER = {"gru": "cells.1.candidate", "bilstm_classifier": "embedding", "mogrifier": "cell.q.2"}
TIMEOUT_MS = 5000

BAD_MODEL = """
import torch
from torch import nn


def build_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Linear(16, 2))


def example_inputs():
    return torch.randn(3, 4)
"""


@pytest.fixture(scope="module")
def browser():
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("browser-reports")
    found = {}
    for name in EXAMPLE_NAMES:
        paths = archviz.render(str(EXAMPLES / f"{name}.py"), out=out, formats="svg,html")
        found[name] = Path(next(p for p in paths if p.endswith(".html")))
    bad = out / "bad.py"
    bad.write_text(textwrap.dedent(BAD_MODEL).lstrip("\n"), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(bad), "-o", str(out / "bad-out"), "--format", "svg,html"])
    assert result.exit_code == 1, result.stderr
    found["bad"] = out / "bad-out" / "bad.html"
    return found


class Opened:
    """A report open in a fresh page, with what it logged and requested."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"{message.type}: {message.text}")

    def assert_clean(self) -> None:
        assert not self.problems, self.problems
        assert self.requests, "the page itself was not seen loading"
        network = [u for u in self.requests if not u.startswith(("file:", "data:"))]
        assert not network, network

    # ---- reading the page ----
    def panels(self) -> dict[str, Any]:
        return self.page.evaluate("() => JSON.parse(document.getElementById('panels').textContent)")

    def record(self) -> Trace:
        href = self.page.get_attribute("#download", "href") or ""
        return Trace.from_json(base64.b64decode(href.split(",", 1)[1]).decode("utf-8"))

    def rows(self) -> list[dict[str, Any]]:
        return self.page.evaluate(
            """() => Array.from(document.querySelectorAll('#layer-table tbody tr')).map(r => ({
                element: r.getAttribute('data-element'), path: r.cells[0].textContent.trim(),
                visible: r.offsetParent !== null, selected: r.classList.contains('selected')}))"""
        )

    def element_for(self, path: str) -> str:
        """The diagram element of module `path`, from the panel data, checked against the layer table."""
        keys = [k for k, p in self.panels().items() if p["kind"] == CallKind.MODULE and p["title"] == path]
        assert len(keys) == 1, (path, keys)
        assert keys[0] in {r["element"] for r in self.rows() if r["path"] == path}
        return keys[0]

    def selected(self) -> list[str]:
        return self.page.evaluate(
            "() => Array.from(document.querySelectorAll('#diagram svg .selected')).map(el => el.id)"
        )

    def panel(self) -> dict[str, Any]:
        """What the side panel shows: visibility, title and its tables by heading."""
        return self.page.evaluate(
            """() => {
                const panel = document.getElementById('panel');
                const tables = {};
                let heading = null;
                for (const el of document.getElementById('panel-body').children) {
                    if (el.tagName === 'H3') { heading = el.textContent; continue; }
                    if (heading && el.tagName === 'TABLE') {
                        tables[heading] = Array.from(el.querySelectorAll('tr')).slice(1)
                            .map(tr => Array.from(tr.children).map(td => td.textContent));
                    } else if (heading) {
                        tables[heading] = el.textContent;
                    }
                    heading = null;
                }
                return {visible: !panel.hidden && panel.offsetParent !== null,
                        title: document.getElementById('panel-title').textContent, tables: tables};
            }"""
        )

    def view_box(self) -> list[float]:
        return [float(v) for v in (self.page.get_attribute("#diagram svg", "viewBox") or "").replace(",", " ").split()]

    def click_node(self, element: str) -> None:
        self.page.locator(f'#diagram svg g.node[id="{element}"]').click(timeout=TIMEOUT_MS)


@pytest.fixture
def open_report(browser, reports):
    pages = []

    def go(name: str, fragment: str = "") -> Opened:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        pages.append(page)
        opened = Opened(page)
        page.goto(reports[name].as_uri() + (f"#{fragment}" if fragment else ""), wait_until="load")
        return opened

    yield go
    for page in pages:
        page.context.close()


def real_call(name: str, path: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(shape, dtype) of the inputs and outputs of the first call of module `path` in a plain forward pass."""
    example = str(EXAMPLES / f"{name}.py")
    with userfile.user_path(example):
        found = loader.load(example)
    assert isinstance(found, loader.Loaded)
    calls: list[tuple[Any, Any]] = []
    handle = found.model.get_submodule(path).register_forward_hook(lambda m, a, o: calls.append((a, o)))
    try:
        with torch.no_grad():
            found.model(*found.args, **found.kwargs)
    finally:
        handle.remove()
    assert calls, path
    args, out = calls[0]
    return _metas(args), _metas(out)


def _metas(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, torch.Tensor):
        return [(shape_text(tuple(value.shape)), str(value.dtype).removeprefix("torch."))]
    if isinstance(value, dict):
        return [m for v in value.values() for m in _metas(v)]
    if isinstance(value, (tuple, list)):  # PackedSequence is a namedtuple: data, batch_sizes, indices
        return [m for v in value for m in _metas(v)]
    return []


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_loads_cleanly_offline(open_report, name):
    r = open_report(name)
    assert r.page.title().endswith("— archviz")
    assert r.page.locator("#panel").is_hidden()
    # the page script ran (allowed by the CSP hash): it dropped the svg's fixed size for pan and zoom
    assert r.page.get_attribute("#diagram svg", "width") is None
    assert len(r.view_box()) == 4
    r.assert_clean()
    assert r.requests == [r.page.url]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_click_node_shows_its_real_shapes(open_report, name):
    r = open_report(name)
    path = NODE[name]
    element = r.element_for(path)
    r.click_node(element)
    r.page.wait_for_selector("#panel:not([hidden])")
    shown = r.panel()
    assert shown["visible"] and shown["title"] == path
    real_in, real_out = real_call(name, path)
    assert [(row[1], row[2]) for row in shown["tables"]["inputs"]] == real_in
    assert [(row[1], row[2]) for row in shown["tables"]["outputs"]] == real_out
    # ...and the argument names are the record's
    call = next(c for c in r.record().calls if c.kind == CallKind.MODULE and c.name == path)
    assert [row[0] for row in shown["tables"]["inputs"]] == [t.path for t in call.inputs]
    assert [row[0] for row in shown["tables"]["outputs"]] == [t.path for t in call.outputs]
    assert r.selected() == [element]
    assert r.page.evaluate("() => location.hash") == f"#{element}"
    assert all(row["selected"] == (row["element"] == element) for row in r.rows())

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{name}.png"
    r.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    assert png_size(shot) == (1280, 900)
    r.assert_clean()


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_filter_then_click_a_row(open_report, name):
    r = open_report(name)
    q = QUERY[name]
    layers = [c.name for c in r.record().calls if c.kind == CallKind.MODULE][1:]
    assert len(r.rows()) == len(layers)
    first = r.element_for(NODE[name])
    r.click_node(first)
    before = r.panel()["title"]

    r.page.locator("#filter").press_sequentially(q)
    rows = r.rows()
    assert [row["path"] for row in rows if row["visible"]] == [p for p in layers if q in p]
    assert any(row["visible"] for row in rows) and not all(row["visible"] for row in rows)

    r.page.locator("#layer-table tbody tr:not([hidden])").first.click()
    target = next(row for row in rows if row["visible"])
    r.page.wait_for_function(f"() => document.getElementById('panel-title').textContent === {target['path']!r}")
    assert r.panel()["title"] != before
    assert r.selected() == [target["element"]]
    has_class = "id => document.querySelector('#diagram svg').getElementById(id).classList.contains('selected')"
    assert r.page.evaluate(has_class, target["element"])

    r.page.locator("#filter").fill("")
    assert all(row["visible"] for row in r.rows())
    r.assert_clean()


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_url_hash_selects_on_load(open_report, name):
    probe = open_report(name)
    element = probe.element_for(HASH_LAYER[name])
    r = open_report(name, element)
    assert r.selected() == [element]
    shown = r.panel()
    assert shown["visible"] and shown["title"] == HASH_LAYER[name]
    rows = r.rows()
    assert any(row["selected"] for row in rows)
    assert all(row["selected"] == (row["element"] == element) for row in rows)
    r.assert_clean()


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_zoom_buttons_change_the_view_box(open_report, name):
    r = open_report(name)
    home = r.view_box()
    r.page.click("#zoom-in")
    zin = r.view_box()
    assert zin[2] == pytest.approx(home[2] / 1.3) and zin[3] == pytest.approx(home[3] / 1.3)
    centre = (home[0] + home[2] / 2, home[1] + home[3] / 2)
    assert (zin[0] + zin[2] / 2, zin[1] + zin[3] / 2) == pytest.approx(centre)
    r.page.click("#zoom-out")
    r.page.click("#zoom-out")
    zout = r.view_box()
    assert zout[2] == pytest.approx(home[2] * 1.3) and zout[2] > home[2]
    r.page.click("#zoom-fit")
    assert r.view_box() == pytest.approx(home)
    r.assert_clean()


def test_selected_node_is_outlined(open_report):
    r = open_report("gru")
    element = r.element_for(NODE["gru"])
    r.click_node(element)
    assert r.selected() == [element]
    stroke, width = r.page.evaluate(
        """id => {
            const node = document.querySelector('#diagram svg').getElementById(id);
            const shape = node.querySelector('path, polygon, ellipse');
            const style = getComputedStyle(shape);
            return [style.stroke, style.strokeWidth];
        }""",
        element,
    )
    assert (stroke, width) == ("rgb(245, 158, 11)", "4px")  # --sel, as report.css asks


def test_malformed_url_hash_is_ignored(open_report):
    r = open_report("gru", "100%")
    assert r.panel()["visible"] is False and r.selected() == []
    r.assert_clean()


def test_failure_link_selects_the_failing_node(open_report):
    r = open_report("bad")
    rec = r.record()
    assert rec.failure is not None and rec.failure.call is not None
    link = r.page.locator("#failure a")
    element = (link.get_attribute("href") or "").lstrip("#")
    assert element == r.element_for(rec.call(rec.failure.call).name)
    link.click()
    r.page.wait_for_selector("#panel:not([hidden])")
    shown = r.panel()
    assert shown["title"] == "1" and "mat1 and mat2 shapes cannot be multiplied" in shown["tables"]["error"]
    assert r.selected() == [element]
    r.assert_clean()
