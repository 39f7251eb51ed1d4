"""Which frames lie between a hook and the user's frame that made a call: archviz, `nn.Module.__call__`
and torch's dispatch to `__torch_function__` (for hand-backs: the user's running instruction is this call)."""

from __future__ import annotations

import os
from types import CodeType, FrameType

from .sourceloc import SourceFinder


class Plumbing:
    """The frames archviz and torch put between a user's line and a hook, by code object (cached)."""

    def __init__(self, finder: SourceFinder) -> None:
        torch_dir = finder.skip[0]
        self.archviz_dir = finder.skip[1]
        self.files = frozenset(os.path.join(torch_dir, *p) for p in (("overrides.py",), ("nn", "modules", "module.py")))
        self.known: dict[CodeType, bool] = {}

    def direct(self, start: FrameType | None, user: FrameType | None, own: CodeType | None = None) -> bool:
        """Whether the user's frame made this call itself, so that its running instruction is this call (for
        hand-backs): only archviz, `nn.Module.__call__`, `handle_torch_function` and the op's own Python
        body (`own`) lie between the hook's caller `start` and it; not so for an `nn.Sequential`'s layers."""
        if start is user:
            return user is not None
        frame = start
        while frame is not None and frame is not user:
            code = frame.f_code
            if code is not own:
                ok = self.known.get(code)
                if ok is None:
                    name = code.co_filename
                    ok = self.known[code] = name.startswith(self.archviz_dir) or name in self.files
                if not ok:
                    return False
            frame = frame.f_back
        return frame is not None
