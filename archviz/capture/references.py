"""Where the code refers to a module or parameter by name, and whether that code ran: for `Trace.idle`.

A module the forward pass never called may still be used: Hugging Face's attention reads
`self.dropout.p` and hands it to `scaled_dot_product_attention`, RAFT calls `corr_block`'s methods,
ShuffleNet calls `branch1` only on strided blocks, Wav2Vec2 reads `masked_spec_embed` only when
training. What counts is the code: every function of the files the model's classes come from (the
library's files included) and of the user's files is read once from its bytecode for the names it
loads as an attribute (`x.dropout`, `x.build_pyramid()`, but not `F.dropout`: a chain from a global
is a module's function, not this object) or as a string (`getattr(self, "h0")`).

`RanCode` notes, while the pass runs, which functions ran (a profile function, installed only when no
profiler is already set; otherwise nothing is known and every reference counts as code that ran).
A reference then falls in one of three groups: in code that ran (a branch or mode not taken, or an
attribute read), in a function that did not run but something calls or a framework calls (it
overrides a base class's method), or only in functions nothing calls — dead code. Initialisation
code (`__init__` and what it calls, transitively) is no use of anything.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import importlib.util
import linecache
import marshal
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from .. import record
from .sourceloc import SourceFinder

_LOADS = frozenset({"LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR"})
_GLOBAL_CHAIN = frozenset({"LOAD_GLOBAL", "LOAD_NAME"})
_SELF = frozenset({"LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE"})
_INIT = "__init__"

Key = tuple[str, str, int]  # (file, qualified name, first line) of a function


class RanCode:
    """The functions that ran while it was installed (`install`), by (file, qualified name, first line).

    Its profile function is on only while the model's code runs: archviz's hooks turn it off for their
    own work (`Recorder.hush`), since any profile function puts Python 3.11's interpreter in its slow
    tracing mode (on in the hooks too, it made a 12-layer transformer's trace 1.6x as slow). What runs
    inside a recorded op (a custom autograd Function's forward) is seen by the sites of the calls it
    makes instead (`keys(also=...)`).
    """

    def __init__(self) -> None:
        self.codes: dict[int, CodeType] = {}
        self.known = False

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            self.codes[id(code)] = code

    @contextlib.contextmanager
    def install(self) -> Iterator[bool]:
        """Note the functions that run inside the block; leave another profiler (cProfile) alone. Yields
        whether it watches."""
        if sys.getprofile() is not None:
            yield False
            return
        self.known = True
        sys.setprofile(self.profile)
        try:
            yield True
        finally:
            sys.setprofile(None)

    def keys(self, also: Iterable[CodeType] = ()) -> set[Key] | None:
        """What ran (with the code objects `also` seen running), or None when it was not watched."""
        if not self.known:
            return None
        return {(c.co_filename, c.co_qualname, c.co_firstlineno) for c in (*self.codes.values(), *also)}


@dataclass
class _Function:
    key: Key
    name: str  # the function's own name (`initial_state`)
    refs: dict[str, list[int]] = field(default_factory=dict)  # attribute or string name -> lines
    own: dict[str, list[int]] = field(default_factory=dict)  # `self.name` -> lines
    stores: dict[str, int] = field(default_factory=dict)  # `self.name = ...` -> its first line
    globals: set[str] = field(default_factory=set)  # names it loads as globals (a helper function)


def _functions(code: CodeType, found: list[_Function], file: str | None = None) -> None:
    """Every function of a compiled file with the names it refers to, nested ones included; `file`: the
    name to key them by, if not the one the code was compiled under (a pyc of a moved environment)."""
    file = code.co_filename if file is None else file
    fn = _Function((file, code.co_qualname, code.co_firstlineno), code.co_name)
    chained = of_self = False
    line = code.co_firstlineno
    for opname, argval, lineno in _instructions(code):
        if lineno is not None:
            line = lineno
        if opname in _GLOBAL_CHAIN:
            fn.globals.add(str(argval))
            chained, of_self = True, False
            continue
        if opname in _LOADS:
            if not chained:
                (fn.own if of_self else fn.refs).setdefault(str(argval), []).append(line)
            of_self = False
            continue
        chained = False
        of_self = opname in _SELF and argval == "self"
        if opname == "STORE_ATTR":
            fn.stores.setdefault(str(argval), line)
        elif opname == "LOAD_CONST" and isinstance(argval, str) and argval.isidentifier():
            fn.refs.setdefault(argval, []).append(line)
        elif opname == "LOAD_CONST" and isinstance(argval, CodeType):
            _functions(argval, found, file)
    found.append(fn)


def _instructions(code: CodeType) -> Iterator[tuple[str, Any, int | None]]:
    """(opname, the value of its argument as `dis` gives it, line) of each instruction `_functions` reads.

    On Python 3.11 read from the raw bytecode (`dis.get_instructions` builds a full record per
    instruction: it was two thirds of the time a trace of Hugging Face's BERT spent explaining its 12
    uncalled attention dropouts); `dis` itself on any other version. Only the arguments `_functions`
    looks at are resolved; tests/capture/test_references_scan.py checks both give the same functions.
    """
    if not RAW_SCAN:
        for ins in dis.get_instructions(code):
            yield ins.opname, ins.argval, ins.positions.lineno if ins.positions is not None else None
        return
    raw, names, consts = code.co_code, code.co_names, code.co_consts
    positions = list(code.co_positions())
    ext = 0
    for i in range(0, len(raw), 2):
        op = raw[i]
        if op == _CACHE:
            continue
        arg = raw[i + 1] | ext
        ext = (arg << 8) if op == _EXTENDED_ARG else 0
        name = _OPNAMES[op]
        if name in _BY_NAME:
            value: Any = names[arg >> 1] if op == _LOAD_GLOBAL else names[arg]
        elif name == "LOAD_CONST":
            value = consts[arg]
        elif name == "LOAD_FAST":
            value = code.co_varnames[arg]
        elif name in _CELLS:
            value = code._varname_from_oparg(arg)  # type: ignore[attr-defined]
        else:
            value = None
        yield name, value, positions[i // 2][0]


RAW_SCAN = sys.version_info[:2] == (3, 11) and hasattr(CodeType, "_varname_from_oparg")
_OPNAMES = dis.opname
_CACHE = dis.opmap.get("CACHE", -1)
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]
_LOAD_GLOBAL = dis.opmap["LOAD_GLOBAL"]
_BY_NAME = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR"})
_CELLS = frozenset({"LOAD_DEREF", "LOAD_CLOSURE"})


def _class_of(fn: _Function) -> str:
    """The qualified name of the class a method (or a function nested in one) belongs to; '' for none."""
    return fn.key[1].split(".<locals>")[0].rpartition(".")[0]


def file_functions(name: str) -> tuple[_Function, ...]:
    """The functions of one file, from its up-to-date `__pycache__` file when it has one (what the
    interpreter compiled it to: a library's files are compiled at install); compiled from its source
    otherwise. Compiling Hugging Face's modeling_utils.py and the other files of BERT's classes held
    8 MB more at the trace's peak and took 40 ms; tests/capture/test_references_scan.py checks both ways
    give the same functions."""
    stamp = _pyc_stamp(name)
    if stamp is not None:
        return _pyc_functions(name, *stamp)
    return _source_functions(name, "".join(linecache.getlines(name)))


@functools.lru_cache(maxsize=256)
def _source_functions(name: str, text: str) -> tuple[_Function, ...]:
    """The functions of one file's text (read once per text: the doctor traces a model several times)."""
    found: list[_Function] = []
    try:
        _functions(compile(text, name, "exec", dont_inherit=True), found, name)
    except (SyntaxError, ValueError):
        pass
    return tuple(found)


@functools.lru_cache(maxsize=256)
def _pyc_functions(name: str, pyc: str, mtime: int, size: int) -> tuple[_Function, ...]:
    """The functions of a file's compiled form (`pyc`, for the source of that `mtime` and `size`)."""
    try:
        with open(pyc, "rb") as f:
            code = marshal.loads(f.read()[_PYC_HEADER:])
    except (OSError, EOFError, ValueError, TypeError):
        code = None
    if not isinstance(code, CodeType):  # unreadable after all: from the source, as without a pyc
        return _source_functions(name, "".join(linecache.getlines(name)))
    found: list[_Function] = []
    _functions(code, found, name)
    return tuple(found)


_PYC_HEADER = 16  # magic, flags, source mtime, source size (PEP 552)


def _pyc_stamp(name: str) -> tuple[str, int, int] | None:
    """(the pyc, source mtime, source size) when `name`'s pyc is current, as the import system checks it
    (a timestamp pyc of this interpreter's magic number); None otherwise (hash-based, stale, none)."""
    try:
        pyc = importlib.util.cache_from_source(name)
        st = os.stat(name)
        with open(pyc, "rb") as f:
            head = f.read(_PYC_HEADER)
    except (OSError, ValueError, NotImplementedError):
        return None
    mtime, size = int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF
    if (
        len(head) != _PYC_HEADER
        or head[:4] != importlib.util.MAGIC_NUMBER
        or int.from_bytes(head[4:8], "little") != 0
        or int.from_bytes(head[8:12], "little") != mtime
        or int.from_bytes(head[12:16], "little") != size
    ):
        return None
    return pyc, mtime, size


class Code:
    """The functions of the files the model's classes and the user's code come from, and what ran."""

    def __init__(self, files: set[str], ran: set[Key] | None, finder: SourceFinder) -> None:
        self.ran = ran
        self.finder = finder
        self.functions: list[_Function] = []
        for name in sorted(files):
            self.functions += file_functions(name)
        self.init = self._init_code()
        called: set[str] = set()
        for fn in self.functions:
            if fn.key in self.init:
                continue  # what only initialisation calls is initialisation
            called.update(n for n in (*fn.refs, *fn.own) if n != fn.name)
            called.update(fn.globals)
        self.called = called

    def _init_code(self) -> set[Key]:
        """`__init__`s and the functions only they lead to (`post_init` -> `init_weights` -> ...)."""
        by_name: dict[str, list[_Function]] = {}
        for fn in self.functions:
            by_name.setdefault(fn.name, []).append(fn)
        todo = [fn for fn in self.functions if fn.name == _INIT]
        init = {fn.key for fn in todo}
        while todo:
            fn = todo.pop()
            for name in (*fn.refs, *fn.own, *fn.globals):
                for other in by_name.get(name, ()):
                    if other.key not in init and not self._ran(other):
                        init.add(other.key)
                        todo.append(other)
        return init

    def _ran(self, fn: _Function) -> bool:
        return self.ran is None or fn.key in self.ran

    def references(self, attr: str, classes: list[str], overridden: set[str]) -> tuple[list[record.Source], ...]:
        """(in code that ran, in code something else calls, in code nothing calls) that name `attr` of an
        object of one of `classes` (qualified names): `self.attr` in their methods, `x.attr` anywhere;
        `overridden`: method names some base class of the model's classes defines (a framework calls them)."""
        ran: list[record.Source] = []
        elsewhere: list[record.Source] = []
        dead: list[record.Source] = []
        for fn in sorted(self.functions, key=lambda f: _class_of(f) not in classes):
            lines = (fn.own.get(attr) if _class_of(fn) in classes else None) or fn.refs.get(attr)
            if not lines or fn.key in self.init:
                continue
            site = self._source(fn, lines[0])
            if self._ran(fn):
                ran.append(site)
            elif fn.name in self.called or fn.name in overridden or fn.name.startswith("<"):
                elsewhere.append(site)
            else:
                dead.append(site)
        return ran, elsewhere, dead

    def built(self, attr: str, classes: list[str]) -> record.Source | None:
        """The line of an `__init__` of one of `classes` (qualified names) that makes `attr`: `self.attr = ...`,
        or a `register_*("attr", ...)`."""
        for fn in self.functions:
            if fn.name != _INIT or _class_of(fn) not in classes:
                continue
            line = fn.stores.get(attr) or (fn.refs.get(attr) or fn.own.get(attr) or [0])[0]
            if line:
                return self._source(fn, line)
        return None

    def ran_method(self, classes: list[str]) -> bool:
        """Whether a method of one of `classes` other than `forward` and `__init__` ran (used through its methods)."""
        if self.ran is None:
            return False
        return any(
            fn.key in self.ran and _class_of(fn) in classes and fn.name not in ("forward", _INIT)
            for fn in self.functions
        )

    def _source(self, fn: _Function, line: int) -> record.Source:
        file, qualname, _ = fn.key
        text = linecache.getline(file, line).strip()
        return record.Source(self.finder._shown(file), line, qualname, text[:160])
