"""How tall the default diagram of each model is at 100 %, and how small its smallest text.

    python benchmarks/heights.py --out /tmp/heights tests/doctor/public/tv_resnet50.py examples/mogrifier.py

Each file is rendered as `archviz render FILE --format svg,png` (the default view, nothing else asked)
by the archviz that `PYTHONPATH` selects, in a process of its own. The table says the PNG's size in
pixels, the SVG's height at 100 % (1 pt = 96/72 px), the smallest font size in the SVG at 100 %
(its `scale(...)` applied), the number of boxes, and the note the render printed (which view was drawn).
A diagram is readable at first glance when its height is at most about 3,000 px and its smallest text
at least 10 px.
"""

from __future__ import annotations

import argparse
import os
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

PX_PER_PT = 96 / 72
MAX_HEIGHT_PX = 3000
MIN_TEXT_PX = 10


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its IHDR chunk."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def svg_facts(text: str) -> tuple[float, float, float, int]:
    """(width px, height px, smallest font px, boxes) of a Graphviz SVG shown at 100 %."""
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', text)
    if not m:
        raise ValueError("no <svg width/height in pt")
    width, height = float(m[1]) * PX_PER_PT, float(m[2]) * PX_PER_PT
    scale = re.search(r'transform="scale\(([\d.]+)', text)
    factor = float(scale[1]) if scale else 1.0
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', text)]
    smallest = min(sizes, default=0.0) * factor * PX_PER_PT
    boxes = len(re.findall(r'<g id="(?!legend)[^"]*" class="node"', text))
    return width, height, smallest, boxes


def render(path: str, out: Path) -> tuple[str, float]:
    """Render `path` into `out` with the default view; archviz's notes on stderr, and the seconds taken."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "archviz", "render", path, "--format", "svg,png", "-o", str(out)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    seconds = time.perf_counter() - started
    notes = " ".join(line.removeprefix("archviz: ") for line in done.stderr.splitlines() if line.startswith("archviz"))
    return notes, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--out", default="heights-out", help="folder for the rendered files (one per model)")
    parser.add_argument("--measure-only", action="store_true", help="measure the files already in --out")
    args = parser.parse_args()
    print("| model | PNG px | SVG height px | smallest text px | boxes | readable | s | note |")
    print("|---|---|---|---|---|---|---|---|")
    for path in args.files:
        stem = Path(path).stem
        out = Path(args.out) / stem
        notes, seconds = ("(measured only)", 0.0) if args.measure_only else render(path, out)
        svg, png = out / f"{stem}.svg", out / f"{stem}.png"
        if not svg.exists() or not png.exists():
            print(f"| {stem} | — | — | — | — | failed | {seconds:.1f} | {notes[:160]} |")
            continue
        w, h = png_size(png)
        _, svg_h, smallest, boxes = svg_facts(svg.read_text(encoding="utf-8"))
        ok = "yes" if h <= MAX_HEIGHT_PX * 1.05 and smallest >= MIN_TEXT_PX else "NO"
        print(f"| {stem} | {w}×{h} | {svg_h:,.0f} | {smallest:.1f} | {boxes} | {ok} | {seconds:.1f} | {notes[:160]} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
