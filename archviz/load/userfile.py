"""The user's model file: check its path, put its folder on sys.path, import it or run it as a script."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import runpy
import stat
import sys
import traceback
from collections.abc import Iterator
from types import ModuleType

from ..errors import LoadError, LoadUsageError, Timeout


def check_path(path: str | os.PathLike[str]) -> str:
    """Return the absolute path of a readable Python file, or raise a usage error naming it."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise LoadUsageError(f"{path}: no such file. Give the path of a Python file that defines or builds a model.")
    if os.path.isdir(path):
        raise LoadUsageError(
            f"{path} is a directory; archviz needs one Python file, e.g. `archviz render {path.rstrip('/')}/model.py`."
        )
    if not path.endswith(".py"):
        raise LoadUsageError(f"{path} is not a Python file (expected a name ending in .py).")
    mode = os.stat(path).st_mode  # follows symlinks: what would be read
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        target = f" (a link to {os.path.realpath(path)})" if os.path.islink(path) else ""
        raise LoadUsageError(
            f"{path} is {kind}{target}, not a regular file; archviz reads only regular Python files, "
            "so it never waits on a pipe or reads a device without end."
        )
    return os.path.abspath(path)


_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def exit_text(exc: SystemExit) -> str:
    """`called sys.exit(5)` / `called sys.exit('no data')`: what the user's code did."""
    return f"called sys.exit({exc.code!r})" if exc.code is not None else "called sys.exit()"


def _inside(module: ModuleType, folder: str) -> bool:
    file = getattr(module, "__file__", None)
    return isinstance(file, str) and os.path.abspath(file).startswith(folder + os.sep)


def _sibling_names(folder: str) -> set[str]:
    """Module names a file in `folder` imports from beside it: `layers` for layers.py or layers/__init__.py."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return set()
    names = {e[:-3] for e in entries if e.endswith(".py")}
    names |= {e for e in entries if os.path.isfile(os.path.join(folder, e, "__init__.py"))}
    return names


@contextlib.contextmanager
def user_path(path: str) -> Iterator[None]:
    """Put the model file's folder first on sys.path while its code runs, so sibling imports work.

    Each model file gets its own siblings: a module of the same name imported earlier from elsewhere
    (another model file's `layers.py`) is set aside while this file runs, and the siblings this file
    imported are forgotten afterwards, so the next file in the same process imports its own.
    """
    folder = os.path.dirname(os.path.abspath(path))
    siblings = _sibling_names(folder)
    set_aside = {
        name: mod
        for name, mod in list(sys.modules.items())
        if name.split(".")[0] in siblings and not _inside(mod, folder)
    }
    for name in set_aside:
        del sys.modules[name]
    had = set(sys.modules)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
        for name, mod in list(sys.modules.items()):
            if name not in had and name.split(".")[0] in siblings and _inside(mod, folder):
                del sys.modules[name]
        sys.modules.update(set_aside)


def _compile(path: str) -> None:
    data = b""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        compile(data, path, "exec")
    except SyntaxError as exc:
        lineno, offset = exc.lineno, exc.offset
        if lineno is None and b"\0" in data:  # Python names no line for a NUL byte: find it
            at = data.index(b"\0")
            lineno, offset = data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1
        where = ":".join(str(n) for n in (lineno, offset) if n is not None)
        raise LoadError(
            f"{os.path.basename(path)}{':' + where if where else ''}: syntax error: {exc.msg}. "
            f"Fix the file so that `python {os.path.basename(path)}` runs."
        ) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LoadError(f"{path} could not be read as Python source: {exc}") from exc


def user_line(exc: BaseException, path: str) -> str:
    """`file.py:12` for the deepest frame of the traceback that lies in the user's file."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename) == path:
            return f"{os.path.basename(path)}:{frame.lineno}"
    return os.path.basename(path)


def import_file(path: str) -> ModuleType:
    """Import the model file as a module (its `__main__` block does not run)."""
    path = check_path(path)
    _compile(path)
    name = "archviz_user_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    seed()
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        raise LoadError(
            f"{user_line(exc, path)}: importing the model file failed: {type(exc).__name__}: {exc}. "
            "Install the missing package or fix the import."
        ) from exc
    except Timeout as exc:
        raise LoadError(
            f"{user_line(exc, path)}: importing the model file had not finished when it was {exc}; this is "
            "the line it was running."
        ) from exc
    except SystemExit as exc:
        raise LoadError(
            f"{user_line(exc, path)}: the model file {exit_text(exc)} while it was being imported, so no model "
            'could be found. Put the script part under `if __name__ == "__main__":`.'
        ) from exc
    except Exception as exc:
        raise LoadError(
            f"{user_line(exc, path)}: the model file raised while it was being run: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def seed() -> None:
    """Seed Python's and torch's random generators with 0 before the user's code runs, so one file gives
    the same weights, inputs and output files every time (gate histograms included); a file that seeds
    itself still decides. Torch is imported by then: this runs only when a trace starts."""
    import random

    import torch

    random.seed(0)
    torch.manual_seed(0)


def run_script(path: str) -> None:
    """Run the file as `__main__`, as `python path` would (script mode)."""
    seed()
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise LoadError(f"{user_line(exc, path)}: the script {exit_text(exc)} while running.") from exc
    except Exception as exc:
        raise LoadError(
            f"{user_line(exc, path)}: the script raised {type(exc).__name__}: {exc} (run as `python "
            f"{os.path.basename(path)}` to see its own traceback)."
        ) from exc
