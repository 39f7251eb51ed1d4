"""`archviz diff`: what a change did to a model's architecture, from two records.

Modules are matched by path, then by structure (renames and moves); calls are aligned parent by parent;
the result (`Diff`) is plain data that every format reads: text, Markdown, JSON, and NEW's diagram with
what was added, removed and changed marked.
"""

from .compare import compare
from .result import Diff
from .text import NO_CHANGE, to_markdown, to_text

__all__ = ["NO_CHANGE", "Diff", "compare", "to_markdown", "to_text"]
