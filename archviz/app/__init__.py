"""App: the one pipeline every front end calls (`run`), its options, sinks, atomic writes, messages.

The entry points (`cli`, `api`, `sphinx`, `mkdocs`, the notebook display) translate their syntax into
one frozen `Options` and call `run`; they call nothing else here that decides what a file contains.
This package imports `load` and `capture` (and so torch) only inside the functions that start a trace.
"""

from ..view.names import safe_stem
from .check import Checked, check
from .messages import failure_message, no_output_message
from .options import LoadOptions, Options, parse_formats
from .pipeline import Dims, FolderSink, MemorySink, with_gates
from .run import Result, Source, run
from .summary import summary_table
from .tracing import Live, Target, check_path, request_stop, settle_process, stop_requested, trace_file, trace_live

__all__ = [
    "Checked",
    "Dims",
    "FolderSink",
    "Live",
    "LoadOptions",
    "MemorySink",
    "Options",
    "Result",
    "Source",
    "Target",
    "check",
    "check_path",
    "failure_message",
    "no_output_message",
    "parse_formats",
    "request_stop",
    "run",
    "safe_stem",
    "settle_process",
    "stop_requested",
    "summary_table",
    "trace_file",
    "trace_live",
    "with_gates",
]
