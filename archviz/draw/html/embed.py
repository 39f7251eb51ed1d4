"""What the report carries besides its HTML: the rolled record, gzip-compressed, and sizes in words."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from markupsafe import Markup

from ...record import Rolling, Trace
from ...record.text import json_safe, printable
from ...view.rolled import rolled_record


def packed_record(trace: Trace, rolling: Rolling) -> tuple[str, int]:
    """The rolled record as minified JSON, gzip-compressed (the browser's DecompressionStream reads it)
    and base64-encoded; and the JSON's size in bytes. The same record always gives the same text."""
    text = json_safe(rolled_record(trace, rolling).to_json(indent=None))  # the full text, as in the record
    raw = text.encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii"), len(raw)


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    return value


def script_json(value: Any) -> Markup:
    """Minified JSON safe inside a <script type="application/json"> element (no `</script>` can close it);
    its text passed through the sanitiser (whole, not cut: a panel shows all of a message)."""
    text = json.dumps(_printable(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(json_safe(text))


def size_text(n: float) -> str:
    """`512 bytes`, `3.4 KB`, `96.1 MB`, `25.1 GB` (powers of 1024, three significant digits)."""
    if n < 1024:
        return "1 byte" if n == 1 else f"{n:.0f} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        shown = f"{n:.3g}" if n < 100 else f"{n:.0f}"
        if float(shown) < 1024 or unit == "TB":  # 1,048,575 bytes is `1 MB`, not `1024 KB`
            return f"{shown} {unit}"
    return f"{n:.0f} TB"
