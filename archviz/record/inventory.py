"""What a model holds besides its calls: its state-dict entries and its modules' constructor settings.

Read from the live model once the pass is over (`capture.inventory`); `archviz diff` compares them
(checkpoint compatibility, buffers, constructor arguments). Optional: a record without them loads as
before, and `SCHEMA_VERSION` stays.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StateEntry:
    """One entry of the model's `state_dict()`: its key, shape and dtype, and whether it is a buffer."""

    key: str
    shape: tuple[int, ...]
    dtype: str
    buffer: bool = False


@dataclass(frozen=True)
class Setting:
    """A module's constructor settings as its `extra_repr()` prints them (`in_features=16, out_features=32, …`)."""

    path: str
    text: str
