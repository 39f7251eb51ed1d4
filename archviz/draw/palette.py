"""The colours of every diagram, per theme, chosen for contrast: every text is at least 4.5:1
(WCAG AA) against what is behind it — a box's fill, or the page (`tests/draw/test_contrast.py`).

`transparent` keeps the light boxes (opaque, with dark text) and draws the text that sits on the
page itself — title, frame and edge labels, the legend — in colours of middle luminance that read on
a white page and on a black one alike.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..kinds import Paint, Theme


@dataclass(frozen=True)
class Palette:
    """One theme's colours.

    Args:
        page: the background (`transparent` for none).
        title: the diagram's title.
        label: text on the page: frame titles, edge labels, the legend.
        edge, frame: edge lines; module frame lines.
        loop, repeat: loop frames and back edges; repeated-layer frames (their labels too).
        text: text inside boxes (None: Graphviz's black).
        error_row: the background of the error message inside a box.
        kinds: (fill, border) of each kind of box.
    """

    page: str
    title: str
    label: str
    edge: str
    frame: str
    loop: str
    repeat: str
    text: str | None
    error_row: str
    kinds: dict[Paint, tuple[str, str]]


LIGHT = Palette(
    page="white",
    title="#0f172a",
    label="#334155",
    edge="#475569",
    frame="#94a3b8",
    loop="#c2410c",
    repeat="#0f766e",
    text=None,
    error_row="#fee2e2",
    kinds={
        Paint.MODULE: ("#dbeafe", "#1e3a8a"),
        Paint.OP: ("#f1f5f9", "#334155"),
        Paint.FUNCTION: ("#fef3c7", "#92400e"),
        Paint.INPUT: ("#dcfce7", "#166534"),
        Paint.OUTPUT: ("#dcfce7", "#166534"),
        Paint.ERROR: ("#fecaca", "#991b1b"),
        Paint.GATE: ("#fde68a", "#92400e"),
        Paint.CELL: ("#ede9fe", "#5b21b6"),
        Paint.REFERENCE: ("#f8fafc", "#64748b"),
        Paint.POINTWISE: ("#fce7f3", "#9d174d"),
    },
)
DARK = Palette(
    page="#0f172a",
    title="#e2e8f0",
    label="#cbd5e1",
    edge="#94a3b8",
    frame="#64748b",
    loop="#fb923c",
    repeat="#2dd4bf",
    text="#f1f5f9",
    error_row="#7f1d1d",
    kinds={
        Paint.MODULE: ("#1e3a5f", "#93c5fd"),
        Paint.OP: ("#1e293b", "#94a3b8"),
        Paint.FUNCTION: ("#422006", "#fcd34d"),
        Paint.INPUT: ("#14532d", "#86efac"),
        Paint.OUTPUT: ("#14532d", "#86efac"),
        Paint.ERROR: ("#450a0a", "#fca5a5"),
        Paint.GATE: ("#713f12", "#fde68a"),
        Paint.CELL: ("#2e1065", "#c4b5fd"),
        Paint.REFERENCE: ("#0f172a", "#94a3b8"),
        Paint.POINTWISE: ("#500724", "#f9a8d4"),
    },
)
# Middle luminance: 4.5:1 or more against white and against black.
TRANSPARENT = dataclasses.replace(
    LIGHT, page="transparent", title="#767676", label="#767676", loop="#c25213", repeat="#0d8576"
)
PALETTES = {Theme.LIGHT: LIGHT, Theme.DARK: DARK, Theme.TRANSPARENT: TRANSPARENT}


def palette(theme: Theme | str) -> Palette:
    """The palette of a theme."""
    return PALETTES[Theme(theme)]


def luminance(colour: str) -> float:
    """WCAG relative luminance of `#rrggbb` (`white` and `black` by name)."""
    named = {"white": "#ffffff", "black": "#000000"}
    hexa = named.get(colour, colour).lstrip("#")
    channels = [int(hexa[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def dark_overrides() -> str:
    """CSS that repaints a light-theme diagram in the dark palette (the report's dark mode), by the
    colours Graphviz wrote into the SVG."""
    pairs: dict[tuple[str, str], str] = {}
    for paint, (fill, border) in LIGHT.kinds.items():
        pairs[("fill", fill)] = DARK.kinds[paint][0]
        pairs[("stroke", border)] = DARK.kinds[paint][1]
    pairs[("stroke", LIGHT.edge)] = DARK.edge
    pairs[("fill", LIGHT.edge)] = DARK.edge
    pairs[("stroke", LIGHT.frame)] = DARK.frame
    for colour, dark in ((LIGHT.loop, DARK.loop), (LIGHT.repeat, DARK.repeat)):
        pairs[("stroke", colour)] = dark
        pairs[("fill", colour)] = dark
    pairs[("fill", LIGHT.error_row)] = DARK.error_row
    rules = [f'.diagram svg [{attr}="{light}"] {{ {attr}: {dark}; }}' for (attr, light), dark in pairs.items()]
    rules += [
        f'.diagram svg polygon[fill="white"], .diagram svg path[fill="white"] {{ fill: {DARK.page}; }}',
        f".diagram svg text {{ fill: {DARK.text}; }}",
        f'.diagram svg text[fill="{LIGHT.label}"], .diagram svg g.cluster > text {{ fill: {DARK.label}; }}',
        f'.diagram svg text[fill="{LIGHT.loop}"] {{ fill: {DARK.loop}; }}',
        f'.diagram svg text[fill="{LIGHT.repeat}"] {{ fill: {DARK.repeat}; }}',
        f'.diagram svg text[fill="{LIGHT.title}"] {{ fill: {DARK.title}; }}',
    ]
    return "\n".join(rules)
