"""archviz: trace a real forward pass of a PyTorch model and draw what it really is.

`import archviz` is cheap: the API (and with it torch) is imported on first use of
`archviz.trace`, `archviz.render` or `archviz.report`.
"""

from __future__ import annotations

from typing import Any

from .version import __version__

__all__ = ["__version__", "render", "report", "trace"]


def __getattr__(name: str) -> Any:
    if name in ("render", "report", "trace"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'archviz' has no attribute {name!r}")
