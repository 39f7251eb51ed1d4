"""The record: a frozen plain-data IR of one forward pass, its JSON round trip and `Trace.lint`.

Imports nothing of archviz but `errors` and `kinds`, and no torch.
"""

from .cells import Cell, Check, Gate, GateSpread, GateStats, RecurrentConfig, Stats, WireEdge, WireNode
from .index import Index
from .inventory import Setting, StateEntry
from .loops import NO_LOOPS, Loop, Rolling
from .text import named_path, path_tail, shape_text
from .trace import (
    SCHEMA_VERSION,
    ArgMeta,
    Call,
    Failure,
    Finding,
    Idle,
    ParamMeta,
    Source,
    TensorMeta,
    Trace,
    call_id,
    call_number,
    is_call_id,
)

__all__ = [
    "NO_LOOPS",
    "SCHEMA_VERSION",
    "ArgMeta",
    "Call",
    "Cell",
    "Check",
    "Failure",
    "Finding",
    "Gate",
    "GateSpread",
    "GateStats",
    "Idle",
    "Index",
    "Loop",
    "ParamMeta",
    "RecurrentConfig",
    "Rolling",
    "Setting",
    "Source",
    "StateEntry",
    "Stats",
    "TensorMeta",
    "Trace",
    "WireEdge",
    "WireNode",
    "call_id",
    "call_number",
    "is_call_id",
    "named_path",
    "path_tail",
    "shape_text",
]
