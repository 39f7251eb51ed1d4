"""archviz: trace a real forward pass of a PyTorch model and draw what it really is."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import render, report, trace

__all__ = ["__version__", "render", "report", "trace"]
