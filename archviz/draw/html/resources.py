"""Locate archviz's packaged resources (the report templates) independently of the working folder."""

from __future__ import annotations

from pathlib import Path


def templates_dir() -> Path:
    """Return the templates folder: inside the installed wheel, or at the source checkout's top level."""
    package = Path(__file__).resolve().parents[2]  # archviz/, from archviz/render/html/
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"archviz templates not found next to {package}; the installation is incomplete")
