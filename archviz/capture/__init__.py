"""Capture: one real forward pass with module hooks and a scoped TorchFunctionMode -> a `record.Trace`.

The only place hooks exist; gate verification runs here too, because it needs tensor values that the
record never keeps. torch is imported by these modules, so import them only when a trace starts.
"""

from .script import ScriptCapture
from .tracer import Traced, run_model, trace_model

__all__ = ["ScriptCapture", "Traced", "run_model", "trace_model"]
