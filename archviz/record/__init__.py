"""The record: a frozen plain-data IR of one forward pass, its JSON round trip and `Trace.lint`.

Imports nothing of archviz but `errors` and `kinds`, and no torch.
"""

from .cells import Cell, Check, Gate, GateStats, RecurrentConfig, Stats, WireEdge, WireNode
from .text import named_path, shape_text
from .trace import (
    SCHEMA_VERSION,
    ArgMeta,
    Call,
    Failure,
    Finding,
    ParamMeta,
    Source,
    TensorMeta,
    Trace,
    call_id,
    is_call_id,
)

__all__ = [
    "SCHEMA_VERSION",
    "ArgMeta",
    "Call",
    "Cell",
    "Check",
    "Failure",
    "Finding",
    "Gate",
    "GateStats",
    "ParamMeta",
    "RecurrentConfig",
    "Source",
    "Stats",
    "TensorMeta",
    "Trace",
    "WireEdge",
    "WireNode",
    "call_id",
    "is_call_id",
    "named_path",
    "shape_text",
]
