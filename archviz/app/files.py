"""Write output files atomically: a temporary file in the same folder, then `os.replace`."""

from __future__ import annotations

import os
import tempfile

from ..errors import RenderError


def ensure_dir(folder: str) -> str:
    """Create the output folder if needed; a clear error when it cannot be written."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise RenderError(
            f"output folder {folder!r} could not be created: {exc.strerror or exc}. Choose another with -o/--out."
        ) from exc
    if not os.access(folder, os.W_OK):
        raise RenderError(f"output folder {folder!r} is not writable. Choose another with -o/--out.")
    return folder


def write_atomic(path: str, data: bytes | str) -> str:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never half."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".archviz-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise RenderError(f"could not write {path}: {exc.strerror or exc}") from exc
        raise
    return path
