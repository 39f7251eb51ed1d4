"""The self-contained HTML report: view model, jinja2 templates (top-level `templates/`), CSP."""

from .report import render_report

__all__ = ["render_report"]
