"""The `archviz` command line: one module per command; the group and what they share in `base`.

torch is imported only when a command traces a model, so `archviz --help` and `--version` answer at once.
"""

from . import diff, doctor, render  # noqa: F401 - each registers its commands on the group
from .base import main

__all__ = ["main"]
