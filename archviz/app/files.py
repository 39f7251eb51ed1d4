"""Write output files atomically: a temporary file in the same folder, then `os.replace`."""

from __future__ import annotations

import os
import tempfile
import time

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
    remove_stale(folder)
    return folder


TMP_PREFIX, TMP_SUFFIX = ".archviz-", ".tmp"
STALE_S = 3600


def remove_stale(folder: str, now: float | None = None) -> list[str]:
    """Remove archviz's own temporary files left in `folder` by a run that was killed (SIGKILL, power
    loss) more than an hour ago; a run under way renames its files within seconds. Returns their paths."""
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(TMP_PREFIX) and entry.name.endswith(TMP_SUFFIX)):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > STALE_S:
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue
    return removed


def _mode_for(path: str) -> int:
    """The mode a written file gets: the file's own when it is replaced (a 0600 file stays private), else
    what a new file gets under the process's umask (0644 under the usual 022, 0600 under 077)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0o022)  # read it the only way there is: set and put back
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: str, data: bytes | str) -> str:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never half."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise RenderError(
            f"could not write {path}: {exc.strerror or exc}. Choose another folder with -o/--out."
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, _mode_for(path))
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
