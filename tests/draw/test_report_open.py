"""The report opens what the diagram closed, in a real browser (Playwright + /usr/bin/chromium).

A closed module box, a fold frame `×N` and a loop frame each open by a click and by the keyboard; a fold's
members are found by name and by link; the diagram is one Tab stop with arrow keys between its boxes; a
skip link reaches the module tree; gate diagrams are legible, zoomable and dark in dark mode; and the
page's Content-Security-Policy holds throughout (no inline script, style attribute script or eval runs).
"""

from __future__ import annotations

import statistics
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_report_browser import (  # noqa: F401  (fixtures: browser, reports)
    CONTRASTS,
    EXAMPLES,
    Opened,
    _opener,
    browser,
    reports,
)

import archviz
from archviz.record import Trace

torch = pytest.importorskip("torch")

STACK = """
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        return x + self.ff(self.norm(x))


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.layers = nn.ModuleList(Block(16) for _ in range(6))
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        h = self.embed(x)
        for layer in self.layers:
            h = layer(h)
        return self.head(h)


def build_model():
    torch.manual_seed(0)
    return Stack().eval()


def example_inputs():
    return torch.randn(2, 5, 8)
"""

# the violations the page's CSP reports, collected from before its first script runs
CSP_WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> dict[str, Path]:
    """The six-block stack drawn with --depth 1 (each block a closed box in a fold frame ×6), and the same
    model's full record for the truth."""
    out = tmp_path_factory.mktemp("open-reports")
    model = out / "stack.py"
    model.write_text(textwrap.dedent(STACK).lstrip("\n"), encoding="utf-8")
    paths = archviz.render(str(model), out=out / "r", formats="svg,html,json", depth=1)
    return {
        "stack": Path(next(p for p in paths if p.endswith(".html"))),
        "record": Path(next(p for p in paths if p.endswith(".json"))),
    }


@pytest.fixture
def open_stack(browser, stack):  # noqa: F811
    yield from _opener(browser, stack)


@pytest.fixture
def open_example(browser, reports):  # noqa: F811
    yield from _opener(browser, reports)


def shown_key(r: Opened) -> str:
    """Which diagram is in the frame: '' for the main one, else the inside's key (the prefix of its ids)."""
    return r.page.evaluate("() => document.getElementById('diagram').getAttribute('data-view') || ''")


def crumbs(r: Opened) -> list[str]:
    return r.page.evaluate(
        "() => document.getElementById('crumbs').hidden ? [] :"
        " Array.from(document.querySelectorAll('#crumbs button, #crumbs .here')).map(x => x.textContent)"
    )


def diagrams(r: Opened) -> dict[str, Any]:
    return r.page.evaluate("() => JSON.parse(document.getElementById('diagrams').textContent)")


def frame_of(r: Opened, kind: str) -> str:
    found = [k for k, p in r.panels().items() if p["kind"] == kind]
    assert len(found) == 1, found
    return found[0]


def box_id(r: Opened, title: str) -> str:
    """The main-diagram box of the module called `title` that opens into its inside."""
    opens = diagrams(r)[""]["opens"]
    found = [e for e, p in r.panels().items() if p["title"] == title and e in opens]
    assert len(found) == 1, (title, found)
    return found[0]


def assert_csp_held(r: Opened) -> None:
    assert r.page.evaluate("() => window.__csp") == []
    r.assert_clean()


def watch(r: Opened) -> Opened:
    r.page.add_init_script(CSP_WATCH)
    r.page.reload(wait_until="load")
    return r


# ---------------------------------------------------------------------------------------------
# a closed module opens into its inside
# ---------------------------------------------------------------------------------------------


def test_a_click_on_a_closed_module_opens_its_inside_with_real_shapes(open_stack, stack):
    r = watch(open_stack("stack"))
    assert shown_key(r) == ""
    box = box_id(r, "layers.0")
    r.click_node(box)
    key = diagrams(r)[""]["opens"][box]
    assert shown_key(r) == key
    assert crumbs(r) == ["whole model", "layers.0"]
    assert r.panel()["title"] == "layers.0"
    # the inside draws the block's own modules, with the shapes that ran
    record = Trace.from_json(stack["record"].read_text(encoding="utf-8"))
    inside = diagrams(r)[key]
    ff0 = next(c for c in record.calls if c.name == "layers.0.ff.0")
    element = inside["places"][ff0.id]
    r.page.locator(f'#diagram svg g[id="{key}-{element}"]').dispatch_event("click")
    assert r.panel()["title"] == "layers.0.ff.0"
    assert (
        [row[1] for row in r.panel()["tables"]["outputs"]]
        == ["[2, 5, 32]"]
        == [f"[{', '.join(map(str, t.shape))}]" for t in ff0.outputs]
    )
    # back by the breadcrumbs: the main diagram, the box that opened it selected
    r.page.click("#crumbs button")
    assert shown_key(r) == "" and crumbs(r) == []
    assert r.selected() == [box]
    assert_csp_held(r)


def test_enter_on_a_closed_module_opens_it_and_escape_leads_back(open_stack):
    r = open_stack("stack")
    box = box_id(r, "layers.0")
    r.page.focus(f'#diagram svg g[id="{box}"]')
    r.page.keyboard.press("Enter")
    key = diagrams(r)[""]["opens"][box]
    assert shown_key(r) == key and r.panel()["title"] == "layers.0"
    focused = r.page.evaluate("() => document.activeElement.id")
    assert focused.startswith(key + "-")  # the keyboard is inside the opened diagram
    r.page.keyboard.press("Escape")  # closes the panel
    r.page.keyboard.press("Escape")  # back to the main diagram
    assert shown_key(r) == ""
    assert r.page.evaluate("() => document.activeElement.id") == box
    r.assert_clean()


def test_the_tree_opens_a_module_the_diagram_closed(open_stack):
    r = open_stack("stack")
    rows = {row["path"]: row for row in r.rows()}
    r.page.click("#tree-expand")
    r.page.locator(f'#layer-table tr[data-id="{rows["layers.0.ff.0"]["id"]}"] td').nth(1).click()
    key = shown_key(r)
    assert key and crumbs(r)[-1] == "layers.0"
    assert r.panel()["title"] == "layers.0.ff.0"
    assert r.selected() == [f"{key}-{diagrams(r)[key]['places'][rows['layers.0.ff.0']['id']]}"]
    r.assert_clean()


# ---------------------------------------------------------------------------------------------
# fold and loop frames
# ---------------------------------------------------------------------------------------------


def test_a_click_on_a_fold_frame_opens_its_panel_and_its_inside(open_stack):
    r = open_stack("stack")
    frame = frame_of(r, "repeat")
    r.page.locator(f'#diagram svg g.cluster[id="{frame}"] > text').first.click()
    shown = r.panel()
    assert shown["visible"] and shown["title"].startswith("layers.0–5 ×6")
    members = r.page.evaluate(
        "() => Array.from(document.querySelectorAll('#panel ol.members li')).map(x => x.textContent)"
    )
    assert members == [f"layers.{i}" for i in range(6)]
    r.page.click("#panel .open-inside")
    assert shown_key(r) and crumbs(r) == ["whole model", "layers.0"]
    r.assert_clean()


def test_enter_on_a_fold_frame_opens_its_panel(open_stack):
    r = open_stack("stack")
    frame = frame_of(r, "repeat")
    r.page.focus(f'#diagram svg g[id="{frame}"]')
    r.page.keyboard.press("Enter")
    assert r.panel()["visible"] and r.panel()["title"].startswith("layers.0–5 ×6")
    assert shown_key(r) == ""  # a frame opens its panel; its inside is a button away
    for _ in range(3):  # from the frame (the diagram's one tab stop) on to the panel: its close and open buttons
        r.page.keyboard.press("Tab")
        if r.page.evaluate("() => document.activeElement.classList.contains('open-inside')"):
            break
    r.page.keyboard.press("Enter")
    assert shown_key(r)
    r.assert_clean()


def test_loop_frame_opens_its_panel_by_click_and_by_keyboard(open_example):
    r = open_example("gru")
    frame = frame_of(r, "loop")
    r.page.locator(f'#diagram svg g.cluster[id="{frame}"] > text').first.click()
    shown = r.panel()
    assert shown["visible"] and shown["title"].startswith("loop ×5")
    assert "loop over time ×5" in (r.page.text_content("#panel-type") or "")
    assert r.selected() == [frame]
    r.page.keyboard.press("Escape")
    r.page.focus(f'#diagram svg g[id="{frame}"]')
    r.page.keyboard.press("Enter")
    assert r.panel()["visible"] and r.panel()["title"].startswith("loop ×5")
    r.assert_clean()


# ---------------------------------------------------------------------------------------------
# folded members by name and by link
# ---------------------------------------------------------------------------------------------


def test_search_finds_a_folded_member_by_name(open_stack):
    r = open_stack("stack")
    frame = frame_of(r, "repeat")
    r.page.fill("#search", "layers.4")
    r.page.press("#search", "Enter")
    assert r.selected() == [frame]
    assert r.page.evaluate("() => document.querySelector('#diagram svg .current').id") == frame
    hit = r.page.evaluate("() => document.querySelector('#panel .member-hit').textContent")
    assert hit == "layers.4"
    note = r.page.text_content("#panel-note") or ""
    assert "layers.4 is member 4 of 6" in note and "layers.0" in note
    r.assert_clean()


def test_search_finds_boxes_inside_closed_modules_and_opens_them(open_stack):
    r = open_stack("stack")
    r.page.fill("#search", "layers.0.ff.2")
    assert r.page.text_content("#search-count") == "1 found (1 in other diagrams)"
    r.page.press("#search", "Enter")
    key = shown_key(r)
    assert key and crumbs(r) == ["whole model", "layers.0"]
    assert r.panel()["title"] == "layers.0.ff.2"
    (selected,) = r.selected()
    assert r.page.evaluate("() => document.querySelector('#diagram svg .current').id") == selected
    r.page.click("#crumbs button")  # back in the main diagram the hit is not marked there
    assert r.page.evaluate("() => document.querySelectorAll('#diagram svg .match').length") == 0
    r.assert_clean()


def test_link_to_a_call_inside_a_fold_names_the_fold_and_member(open_stack, stack):
    record = Trace.from_json(stack["record"].read_text(encoding="utf-8"))
    call = next(c for c in record.calls if c.name == "layers.3.ff.2")  # ids come from execution order: the same here
    r = open_stack("stack", call.id)
    frame = frame_of(r, "repeat")
    assert r.selected() == [frame]
    note = r.page.text_content("#panel-note") or ""
    assert f"{call.id} runs in layers.3" in note and "member 3 of 6" in note
    assert "drawn as" not in note
    assert r.page.evaluate("() => document.querySelector('#panel .member-hit').textContent") == "layers.3"
    r.assert_clean()


# ---------------------------------------------------------------------------------------------
# keyboard: skip link, roving focus, the current hit
# ---------------------------------------------------------------------------------------------


def test_skip_link_is_the_first_tab_stop_and_reaches_the_tree(open_stack):
    r = open_stack("stack")
    r.page.keyboard.press("Tab")
    assert r.page.evaluate("() => document.activeElement.id") == "skip"
    assert r.page.locator("#skip").is_visible()  # shown when focused
    r.page.keyboard.press("Enter")
    assert r.page.evaluate("() => document.activeElement.closest('#layer-table') !== null")
    r.assert_clean()


def test_the_diagram_is_one_tab_stop_and_arrows_move_between_boxes(open_stack):
    r = open_stack("stack")
    stops = r.page.evaluate(
        "() => Array.from(document.querySelectorAll('#diagram svg [role=button]')).filter(g => g.tabIndex === 0).length"
    )
    assert stops == 1
    boxes = r.page.evaluate("() => document.querySelectorAll('#diagram svg [role=button]').length")
    assert boxes >= 5
    r.page.focus("#diagram")
    r.page.keyboard.press("Tab")  # from the frame into the diagram: its one stop, the input
    first = r.page.evaluate("() => document.activeElement.id")
    assert first == "in-0"
    r.page.keyboard.press("ArrowDown")
    second = r.page.evaluate("() => document.activeElement.id")
    assert second != first and r.page.evaluate("() => document.activeElement.getAttribute('role')") == "button"
    below = r.page.evaluate(
        """([a, b]) => { const svg = document.querySelector('#diagram svg');
             const top = id => svg.getElementById(id).getBoundingClientRect().top;
             return top(b) > top(a); }""",
        [first, second],
    )
    assert below
    r.page.keyboard.press("ArrowUp")
    assert r.page.evaluate("() => document.activeElement.id") == first
    r.page.keyboard.press("ArrowDown")
    r.page.keyboard.press("Tab")  # Tab leaves the diagram (no stop per box)
    assert r.page.evaluate("() => document.activeElement.closest('#diagram') === null")
    r.page.keyboard.press("Shift+Tab")  # and comes back to the box last visited
    assert r.page.evaluate("() => document.activeElement.id") == second
    r.assert_clean()


def test_the_current_search_hit_looks_unlike_the_others(open_example):
    r = open_example("gru")
    r.page.fill("#search", "update_gate")
    r.page.press("#search", "Enter")
    looks = r.page.evaluate(
        """() => Array.from(document.querySelectorAll('#diagram svg g.match')).map(g => {
            const s = getComputedStyle(g.querySelector('path, polygon'));
            return [g.classList.contains('current'), s.stroke, s.strokeWidth, s.strokeDasharray]; })"""
    )
    current = [x[1:] for x in looks if x[0]]
    others = [x[1:] for x in looks if not x[0]]
    assert len(current) == 1 and others
    assert all(o != current[0] for o in others)
    assert current[0][1] != others[0][1]  # thicker
    r.assert_clean()


# ---------------------------------------------------------------------------------------------
# gate diagrams: legible, zoomable, dark
# ---------------------------------------------------------------------------------------------

CELL_TEXT = """() => {
    const svg = document.querySelector('section.cell .cell-diagram svg');
    return Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim())
        .map(t => t.getBoundingClientRect().height);
}"""


@pytest.mark.parametrize("name", ["mogrifier", "gru", "bilstm_classifier"])
def test_gate_diagrams_are_legible_at_first_and_zoom(open_example, name):
    r = open_example(name)
    heights = r.page.evaluate(CELL_TEXT)
    assert len(heights) > 10
    assert statistics.median(heights) >= 9, statistics.median(heights)
    width = lambda: r.page.evaluate(  # noqa: E731
        "() => document.querySelector('section.cell .cell-diagram svg').getBoundingClientRect().width"
    )
    before = width()
    r.page.locator("section.cell .cell-zoom button[data-zoom=in]").first.click()
    assert width() == pytest.approx(before * 1.3, rel=0.02)
    r.page.locator("section.cell .cell-zoom button[data-zoom=fit]").first.click()
    fits = r.page.evaluate(
        "() => { const b = document.querySelector('section.cell .cell-diagram');"
        " return b.querySelector('svg').getBoundingClientRect().width <= b.clientWidth; }"
    )
    assert fits
    r.assert_clean()


CELL_CONTRASTS = CONTRASTS.replace(
    "document.querySelector('#diagram svg')", "document.querySelector('section.cell .cell-diagram svg')"
).replace("document.querySelector('.diagram-wrap')", "document.querySelector('section.cell .cell-diagram')")


@pytest.mark.parametrize("how", ["system", "button"])
@pytest.mark.parametrize("name", ["mogrifier", "gru"])
def test_gate_diagrams_are_dark_with_contrast(browser, reports, name, how):  # noqa: F811
    page = browser.new_page(
        viewport={"width": 1280, "height": 900}, color_scheme="dark" if how == "system" else "light"
    )
    try:
        page.goto(reports[name].as_uri(), wait_until="load")
        if how == "button":
            page.click("#theme")  # auto -> dark
            assert page.evaluate("() => document.documentElement.getAttribute('data-theme')") == "dark"
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('section.cell .cell-diagram')).backgroundColor"
        )
        assert background == "rgb(15, 23, 42)"  # the dark page
        found = page.evaluate(CELL_CONTRASTS)
        assert len(found) > 10
        low = [(f["text"], round(f["ratio"], 2)) for f in found if f["ratio"] < 4.5]
        assert not low, low[:10]
        # and the main diagram is dark too
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('#diagram svg text')).fill") != "rgb(0, 0, 0)"
        )
    finally:
        page.context.close()


def test_theme_button_light_overrides_a_dark_system(browser, reports):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        page.goto(reports["gru"].as_uri(), wait_until="load")
        page.click("#theme")  # dark
        page.click("#theme")  # light
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        found = page.evaluate(CONTRASTS)
        assert not [f for f in found if f["ratio"] < 4.5]
    finally:
        page.context.close()


def test_example_reports_keep_the_csp(open_example):
    for name in ("gru", "mogrifier", "bilstm_classifier"):
        r = watch(open_example(name))
        r.page.fill("#search", "cell")
        r.page.press("#search", "Enter")
        r.page.click("#theme")
        r.page.locator("section.cell .cell-zoom button[data-zoom=in]").first.click()
        assert_csp_held(r)


_ = EXAMPLES  # the examples the `reports` fixture renders
