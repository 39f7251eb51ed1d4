"""App: the pipeline end to end (file -> trace -> files), atomic writes, progress, user messages.

The entry points (`cli`, `api`, `sphinx`) call only this package. It imports `load` and `capture`
(and so torch) only inside the functions that start a trace.
"""

from ..view.names import safe_stem
from .messages import failure_message, no_output_message
from .pipeline import Dims, Options, Written, parse_formats, with_gates, write
from .summary import summary_table
from .tracing import Live, Target, check_path, last_exception, trace_file, trace_live

__all__ = [
    "Dims",
    "Live",
    "Options",
    "Target",
    "Written",
    "check_path",
    "failure_message",
    "last_exception",
    "no_output_message",
    "parse_formats",
    "safe_stem",
    "summary_table",
    "trace_file",
    "trace_live",
    "with_gates",
    "write",
]
