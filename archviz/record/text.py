"""How the record's values are written as text everywhere archviz shows them.

`printable` is the one sanitiser of text that comes from the user's code (module, attribute and class
names, ModuleDict keys, exception messages, source lines, dtypes, argument paths, notes): every
renderer passes such text through it, and through `shown` where space is bounded (diagrams). The
record itself keeps the text as it was; `json_safe` makes its JSON writable as UTF-8.
"""

from __future__ import annotations

import re

LINE_CHARS = 200  # a label line in a diagram; the rest is cut, with an ellipsis
MESSAGE_CHARS = 2048  # a message (or any text) in a diagram, all lines together
ELLIPSIS = "…"

# ANSI terminal sequences: CSI (colours, `ESC [ 31 m`), OSC (titles, links; ended by BEL or ESC \),
# and the two-character escapes. They carry no text, so they are removed.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\^_])")
# What no output may carry: C0 controls but newline and tab, DEL, C1 controls, lone surrogates (not
# encodable as UTF-8), U+FFFE/U+FFFF (not XML characters), and the invisible format characters that
# change how text around them reads: bidi overrides and isolates (U+202A–202E, U+2066–2069, U+200E/F,
# U+061C: right-to-left spoofing), zero-width spaces and joiners (U+200B–200D, U+2060–2064, U+FEFF,
# U+180E), line and paragraph separators (U+2028/2029). Each is shown as its Python escape.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def shape_text(shape: tuple[int, ...]) -> str:
    """Format a shape the way archviz shows it everywhere: `[3, 5, 10]`."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _escape(m: re.Match[str]) -> str:
    code = ord(m[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` safe for every output: ANSI sequences removed, CRLF and CR as newlines, tabs as spaces,
    other control characters, lone surrogates and U+FFFE/U+FFFF as visible escapes (`\\x1b`, `\\ud800`).
    """
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _UNSAFE.sub(_escape, text)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the last an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def shown(text: str, line: int = LINE_CHARS, total: int = MESSAGE_CHARS, fold: bool = False) -> str:
    """`printable(text)` as a diagram shows it: each line cut to `line` characters (or, with `fold`,
    split into lines of `line` characters) and all of it to `total`."""
    lines = printable(text).split("\n")
    if fold:
        lines = [part[i : i + line] for part in lines for i in range(0, max(len(part), 1), line)]
    return clip("\n".join(clip(x, line) for x in lines), total)


def json_safe(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with every character `printable` escapes
    (lone surrogates, controls, bidi overrides, zero-width characters) as a `\\uXXXX` escape: it encodes
    as UTF-8, no raw control or bidi character reaches whoever opens it, and `json.loads` gives the
    same strings back."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


_HEAD = re.compile(r"^(?:args\[(\d+)\]|kwargs\['([^']*)'\])")


def named_path(path: str, arg_names: tuple[str, ...]) -> str:
    """`batch.mask` for `args[0].mask` of `forward(self, batch)`, `input_ids` for `kwargs['input_ids']`."""
    m = _HEAD.match(path)
    if m is None:
        return path
    if m[2] is not None:
        return m[2] + path[m.end() :]
    index = int(m[1])
    return arg_names[index] + path[m.end() :] if index < len(arg_names) else path


_ROOT = re.compile(r"^(?:args\[\d+\]|kwargs\['[^']*'\]|output|[A-Za-z_]\w*)")
_LAST = re.compile(r"(?:\.([A-Za-z_]\w*)|\['((?:[^'\\]|\\.)*)'\])$")


def path_tail(path: str) -> str:
    """The name of the field or key a tensor sits under inside an argument or output (`logits` for
    `output['logits']` and for a record's older `output.logits`, `data` for `args[0].data`); '' for a
    whole argument or a list item."""
    m = _ROOT.match(path)
    rest = path[m.end() :] if m else path
    last = _LAST.search(rest)
    return "" if last is None else last[1] or last[2]
