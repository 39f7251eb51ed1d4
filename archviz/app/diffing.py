"""`archviz diff`'s two sides: a model file (traced as `render` traces it), a saved JSON record, or
`REV:path` — a file as a git revision has it, read with git (the work tree is never touched) — and
the diff of the two, in every format.

A model file at a revision is traced from a temporary copy of its folder at that revision (its files,
and the packages it imports from there), so it imports its own siblings as they were.
"""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from .. import diff as diffing
from ..draw import graphviz
from ..errors import ArchvizError, RecordError, UsageError
from ..kinds import Theme
from ..record import Trace
from .options import DIFF_FORMATS, LoadOptions, Options
from .run import Source, run

GIT_TIMEOUT_S = 60.0
MAX_COPIED_BYTES = 20_000_000  # a file of the revision's folder larger than this is not copied (data, weights)


@dataclass(frozen=True)
class Side:
    """One side of a diff: how the user named it, and its record."""

    name: str
    trace: Trace


def load_side(spec: str, load: LoadOptions) -> Side:
    """The record of `spec`: a JSON record, a model file, or `REV:path`; a usage error naming it otherwise."""
    try:
        if os.path.exists(spec):
            return Side(spec, _from_file(spec, load))
        rev, colon, path = spec.partition(":")
        if colon and rev and path and not _drive(spec):
            return Side(spec, _from_git(spec, rev, path, load))
    except UsageError:
        raise
    except ArchvizError as exc:
        raise UsageError(f"{spec}: could not be compared: {exc}") from exc
    raise UsageError(
        f"{spec}: no such file, and not a git revision of one (`REV:path`, e.g. `HEAD~1:model.py`). "
        "Give two model files, two JSON records (`archviz render --format json`), or git revisions of either."
    )


def _drive(spec: str) -> bool:
    """`C:\\models\\net.py`: a Windows path, not a revision."""
    return len(spec) > 2 and spec[1] == ":" and spec[0].isalpha() and spec[2] in "\\/"


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] == b"{"


def _from_file(path: str, load: LoadOptions) -> Trace:
    if os.path.isfile(path):
        with open(path, "rb") as fh:
            head = fh.read(64)
        if path.endswith(".json") or _looks_like_json(head):
            with open(path, "rb") as fh:
                return parse_record(fh.read(), path)
    return run(Source.file(path), Options(formats=(), load=load)).trace


def parse_record(data: bytes, name: str) -> Trace:
    """A JSON record's bytes as a Trace, or a usage error naming `name` and what is wrong."""
    try:
        return Trace.from_json(data.decode("utf-8"))
    except RecordError as exc:
        raise UsageError(f"{name}: {exc} (write records with `archviz render MODEL --format json`).") from exc
    except (ValueError, KeyError, TypeError, StopIteration) as exc:
        why = f"{type(exc).__name__}: {exc}"
        raise UsageError(
            f"{name}: not an archviz record ({why[:300]}); give a model file or a record written by "
            "`archviz render MODEL --format json`."
        ) from exc


def _git(args: list[str], spec: str, cwd: str | None = None) -> bytes:
    """Run git and return its output; a usage error naming `spec` and git's message when it fails."""
    exe = shutil.which("git")
    if exe is None:
        raise UsageError(f"{spec}: reading a git revision needs the `git` program, which is not on PATH.")
    try:
        done = subprocess.run([exe, *args], capture_output=True, timeout=GIT_TIMEOUT_S, check=False, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        raise UsageError(f"{spec}: `git {' '.join(args)}` took longer than {GIT_TIMEOUT_S:.0f} s.") from exc
    if done.returncode != 0:
        message = " ".join(done.stderr.decode("utf-8", "replace").split())[:400]
        raise UsageError(f"{spec}: git could not read it: {message or f'git {args[0]} failed'}.")
    return done.stdout


def _repo_path(spec: str, path: str) -> str:
    """The path inside the repository: git's rule (from the top, or from here with `./`, `../`)."""
    if path.startswith(("./", "../")):
        prefix = _git(["rev-parse", "--show-prefix"], spec).decode("utf-8").strip()
        return os.path.normpath(os.path.join(prefix, path)).replace(os.sep, "/")
    return path


def _from_git(spec: str, rev: str, path: str, load: LoadOptions) -> Trace:
    rel = _repo_path(spec, path)
    top = _git(["rev-parse", "--show-toplevel"], spec).decode("utf-8").strip()
    data = _git(["show", f"{rev}:{rel}"], spec, cwd=top)
    if rel.endswith(".json") or _looks_like_json(data):
        return parse_record(data, spec)
    with _checked_out(spec, rev, rel, top) as copy:
        return run(Source.file(copy), Options(formats=(), load=load)).trace


@contextlib.contextmanager
def _checked_out(spec: str, rev: str, rel: str, top: str) -> Iterator[str]:
    """A temporary copy of the file's folder at `rev` (its files, and the packages the file imports)."""
    folder = os.path.dirname(rel)
    tmp = tempfile.mkdtemp(prefix="archviz-diff-")
    try:
        here = os.path.join(tmp, os.path.basename(folder) or "repo")
        entries = _tree(spec, rev, folder, top, recursive=False)
        wanted = _imported(_git(["show", f"{rev}:{rel}"], spec, cwd=top))
        for name, kind in entries:
            base = name[len(folder) + 1 :] if folder else name
            if kind == "tree" and base in wanted:
                for sub, sub_kind in _tree(spec, rev, name, top, recursive=True):
                    if sub_kind == "blob":
                        _copy(spec, rev, sub, os.path.join(here, sub[len(folder) + 1 :] if folder else sub), top)
            elif kind == "blob":
                _copy(spec, rev, name, os.path.join(here, base), top)
        yield os.path.join(here, os.path.basename(rel))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tree(spec: str, rev: str, folder: str, top: str, recursive: bool) -> list[tuple[str, str]]:
    """(path, `blob` or `tree`) of the entries under `folder` at `rev`, small files only."""
    args = ["ls-tree", "-l", "-z", *(["-r"] if recursive else []), rev, "--", (folder + "/") if folder else "."]
    out = []
    for line in _git(args, spec, cwd=top).decode("utf-8", "surrogateescape").split("\0"):
        if not line:
            continue
        meta, _, name = line.partition("\t")
        _mode, kind, _obj, size = meta.split(None, 3)
        if kind == "blob" and size.strip().isdigit() and int(size) > MAX_COPIED_BYTES:
            continue
        if kind in ("blob", "tree"):
            out.append((name, kind))
    return out


def _copy(spec: str, rev: str, name: str, dest: str, top: str) -> None:
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "wb") as fh:
        fh.write(_git(["show", f"{rev}:{name}"], spec, cwd=top))


def _imported(source: bytes) -> set[str]:
    """Top-level names the file imports (absolute imports): the sibling packages to copy."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.partition(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def parse_fail_on(text: str | None) -> tuple[str, ...]:
    """`--fail-on` text as conditions (a usage error for an unknown one); see `diff.failon`."""
    from ..diff import failon

    return failon.parse(text)


def failed_on(d: diffing.Diff, conditions: tuple[str, ...]) -> tuple[str, ...]:
    """The `--fail-on` conditions that hold for `d`."""
    from ..diff import failon

    return failon.failed(d, conditions)


def compare(old: Side, new: Side) -> diffing.Diff:
    """The diff of two loaded sides."""
    return diffing.compare(old.trace, new.trace, old.name, new.name)


def render_diff(old: Side, new: Side, d: diffing.Diff, fmt: str, theme: Theme, failed: tuple[str, ...] = ()) -> bytes:
    """The diff in `fmt` (see DIFF_FORMATS): a report, or NEW's diagram with the changes marked."""
    from ..diff import diagram, jsonout, page, region

    if fmt == "text":
        return diffing.to_text(d).encode("utf-8")
    if fmt == "json":
        return jsonout.to_json(d, failed).encode("utf-8")
    marked = diagram.marked(old.trace, new.trace, d)
    if fmt == "md":
        return diffing.to_markdown(d, region.region_mermaid(marked) if d.any else "").encode("utf-8")
    if fmt == "dot":
        return diagram.to_dot(marked, d, theme).encode("utf-8")
    if fmt in ("svg", "png"):
        return graphviz.render(diagram.to_dot(marked, d, theme), fmt)
    if fmt == "html":
        light, dark = (
            graphviz.render(diagram.to_dot(marked, d, t), "svg").decode("utf-8") for t in (Theme.LIGHT, Theme.DARK)
        )
        return page.to_html(d, light, dark).encode("utf-8")
    raise UsageError(f"--format {fmt!r}: choose from {', '.join(DIFF_FORMATS)}.")
