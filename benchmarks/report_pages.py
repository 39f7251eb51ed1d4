"""The HTML report at real sizes, in Chromium: file size, DOMContentLoaded and interaction times.

Each case is rendered with `archviz render … --format html` in a subprocess, then opened from file://
in Debian's Chromium (/usr/bin/chromium) through Playwright. An interaction is timed in the page from
just before the event is dispatched to the second animation frame after it (the frame that shows
the result); each is run REPEAT times and the median is reported.

    python benchmarks/report_pages.py            # prints the markdown section
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"
REPEAT = 5
MB = 1024 * 1024
GOAL_DCL_MS = 500.0
GOAL_INTERACTION_MS = 100.0

# (name, model file, extra options, size goal in bytes or None, DOMContentLoaded goal applies)
CASES: list[tuple[str, str, list[str], int | None, bool]] = [
    ("gru (example)", "examples/gru.py", [], None, False),
    ("bilstm_classifier (example)", "examples/bilstm_classifier.py", [], None, False),
    ("gru, 1000 steps", "examples/gru.py", ["--input", "3x1000x10"], 2 * MB, False),
    ("llama-7b-meta", "benchmarks/llama_7b.py", [], 2 * MB, True),
    ("decode-50k (44k calls)", "benchmarks/decode_50k.py", [], 10 * MB, False),
]

# name -> JavaScript that performs one interaction (synchronously dispatches its events)
INTERACTIONS = {
    "click a box": """() => {
        const boxes = Array.from(document.querySelectorAll('#diagram svg g.node[role=button]'));
        boxes[Math.min(3, boxes.length - 1)].dispatchEvent(new MouseEvent('click', {bubbles: true})); }""",
    "click a tree row": """() => {
        const rows = document.querySelectorAll('#layer-table tbody tr:not([hidden])');
        rows[Math.min(2, rows.length - 1)].cells[1].click(); }""",
    "search + Enter": """() => { const s = document.getElementById('search'); s.value = 'linear';
        s.dispatchEvent(new Event('input')); s.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'})); }""",
    "zoom in": "() => document.getElementById('zoom-in').click()",
    "fold / unfold all": """() => { window.__folded = !window.__folded;
        document.getElementById(window.__folded ? 'tree-collapse' : 'tree-expand').click(); }""",
    "sort by params": "() => document.querySelector('#layer-table th button[data-key=\"params\"]').click()",
    "filter the tree": """() => { const f = document.getElementById('filter'); f.value = f.value ? '' : 'layers';
        f.dispatchEvent(new Event('input')); }""",
}

TIMED = """async (body) => {
    const act = eval(body);
    const t0 = performance.now();
    act();
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
}"""


@dataclass
class PageRun:
    name: str
    render_s: float = 0.0
    exit: int | None = None
    size: int = 0
    size_goal: int | None = None
    dcl_ms: float | None = None
    load_ms: float | None = None
    dcl_goal: bool = False
    interactions: dict[str, float] = field(default_factory=dict)
    error: str = ""

    @property
    def goal_met(self) -> bool:
        if self.exit != 0 or self.error:
            return False
        ok = self.size_goal is None or self.size <= self.size_goal
        ok = ok and (not self.dcl_goal or (self.dcl_ms is not None and self.dcl_ms < GOAL_DCL_MS))
        return ok and all(v < GOAL_INTERACTION_MS for v in self.interactions.values())


def render(file: str, extra: list[str], out: str) -> tuple[int, float, str]:
    cmd = [sys.executable, "-m", "archviz", "render", os.path.join(ROOT, file), *extra, "-q", "--format", "html"]
    start = time.perf_counter()
    done = subprocess.run([*cmd, "-o", out], capture_output=True, text=True, check=False, timeout=600)
    return done.returncode, time.perf_counter() - start, done.stderr.strip()


def measure(page, path: str, run: PageRun) -> None:  # type: ignore[no-untyped-def]
    page.goto("file://" + path, wait_until="load")
    nav = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
    run.dcl_ms, run.load_ms = nav["domContentLoadedEventEnd"], nav["loadEventEnd"]
    for name, body in INTERACTIONS.items():
        times = [page.evaluate(TIMED, body) for _ in range(REPEAT)]
        run.interactions[name] = statistics.median(times)


def run_all() -> list[PageRun]:
    from playwright.sync_api import sync_playwright

    runs = []
    with tempfile.TemporaryDirectory(prefix="archviz-pages-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for i, (name, file, extra, size_goal, dcl_goal) in enumerate(CASES):
            run = PageRun(name, size_goal=size_goal, dcl_goal=dcl_goal)
            out = os.path.join(tmp, str(i))
            run.exit, run.render_s, stderr = render(file, extra, out)
            html = os.path.join(out, os.path.splitext(os.path.basename(file))[0] + ".html")
            if run.exit not in (0, 1) or not os.path.exists(html):
                run.error = stderr.splitlines()[-1] if stderr else f"exit {run.exit}"
                runs.append(run)
                continue
            run.size = os.path.getsize(html)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            measure(page, html, run)
            page.close()
            if errors:
                run.error = "page error: " + errors[0]
            runs.append(run)
            print(f"[report] {name}: {run.size / MB:.2f} MB, DOMContentLoaded {run.dcl_ms:.0f} ms", file=sys.stderr)
        browser.close()
    return runs


def section(runs: list[PageRun]) -> list[str]:
    names = list(INTERACTIONS)
    lines = [
        "## The HTML report in Chromium",
        "",
        (
            "`archviz render FILE [OPTIONS] -q --format html` in a subprocess (*render s*), then the page opened from "
            f"file:// in Chromium at 1280 × 900 (Playwright). *DCL*: DOMContentLoaded, ms after navigation start; "
            f"each interaction: ms from dispatching it to the second animation frame after it, median of {REPEAT}."
        ),
        "",
        (
            f"Goals: the 1000-step GRU and the 7B report ≤ 2 MB, the 50k-op model ≤ 10 MB; DOMContentLoaded of the "
            f"7B < {GOAL_DCL_MS:.0f} ms; every interaction < {GOAL_INTERACTION_MS:.0f} ms."
        ),
        "",
        "| report | render s | size | DCL ms | " + " | ".join(names) + " | goal |",
        "|---|--:|--:|--:|" + "--:|" * len(names) + ":-:|",
    ]
    for r in runs:
        size = f"{r.size / MB:.2f} MB" if r.size >= MB / 10 else f"{r.size / 1024:.0f} KB"
        if r.size_goal:
            size += f" (≤ {r.size_goal // MB} MB)"
        dcl = "—" if r.dcl_ms is None else f"{r.dcl_ms:.0f}"
        cells = [f"{r.interactions[n]:.0f}" if n in r.interactions else "—" for n in names]
        lines.append(
            f"| {r.name}{' — ' + r.error if r.error else ''} | {r.render_s:.1f} | {size} | {dcl} | "
            + " | ".join(cells)
            + f" | {'✓' if r.goal_met else '✗'} |"
        )
    lines += ["", f"{sum(r.goal_met for r in runs)} of {len(runs)} reports meet the goals."]
    return lines


def main() -> int:
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is not installed", file=sys.stderr)
        return 2
    print("\n".join(section(run_all())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
