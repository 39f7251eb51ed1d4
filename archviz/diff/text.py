"""A diff as terminal text and as Markdown for a pull-request comment (tables, and a mermaid flowchart)."""

from __future__ import annotations

from collections.abc import Iterable

from . import grouping
from .result import Diff, Shape, Totals

NO_CHANGE = "no architectural change"
TEXT_LIMIT = 40  # lines per section in the terminal; the JSON has them all
MD_LIMIT = 60  # rows per table in Markdown (a PR comment stays readable)


def shape(s: Shape | None) -> str:
    return "—" if s is None else "[" + ", ".join(str(d) for d in s) + "]"


def _times(n: int) -> str:
    return f" (×{n})" if n > 1 else ""


def _delta(a: int, b: int) -> str:
    if a == b:
        return f"{b:,}"
    pct = f", {(b - a) / a:+.1%}" if a else ""
    return f"{a:,} → {b:,} ({b - a:+,}{pct})"


def _maybe(a: int | None, b: int | None) -> str:
    if a is None or b is None:
        return "not recorded"
    return _delta(a, b)


def totals_line(old: Totals, new: Totals) -> str:
    return (
        f"params {_delta(old.params, new.params)}; buffers {_maybe(old.buffers, new.buffers)}; "
        f"ops {_delta(old.ops, new.ops)}"
    )


def summary_line(d: Diff) -> str:
    """One line: what changed, counted, or that nothing did."""
    if not d.any:
        return NO_CHANGE
    parts = [
        (len(d.added), "added"),
        (len(d.removed), "removed"),
        (len(d.renamed), "renamed"),
        (len(d.changed), "changed"),
    ]
    head = ", ".join(f"{n} {w}" for n, w in parts if n) or "no module added or removed"
    extra = [
        (sum(o.count for o in d.ops), "op"),
        (len(d.edges), "edge shape"),
        (len(d.wiring), "wiring"),
        (len(d.counts), "count"),
        (len(d.outputs), "output"),
    ]
    more = ", ".join(f"{n} {w} change{'s' if n > 1 else ''}" for n, w in extra if n)
    ck = "checkpoint loads" if d.checkpoint.loads else "checkpoint does NOT load as is"
    return f"modules: {head}" + (f"; {more}" if more else "") + f"; {ck}"


def _clip(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"  … and {len(lines) - limit} more (see --format json)"]


def to_text(d: Diff) -> str:
    """The terminal summary."""
    out = [f"archviz diff: {d.old} → {d.new}", f"  {d.old_model} → {d.new_model}"]
    out += [f"note: {n}" for n in d.notes]
    if not d.any:
        out.append(NO_CHANGE)
        out.append(f"totals: {totals_line(*d.totals)}")
        return "\n".join(out) + "\n"
    out.append(summary_line(d))
    sections = [
        ("modules", _module_lines(d)),
        ("ops", [f"  {o.sign} {o.op} ×{o.count} in {o.where or 'model'}" for o in d.ops]),
        (
            "shapes on edges",
            [f"  {e.src} → {e.dst}: {shape(e.old)} → {shape(e.new)}{_times(e.count)}" for e in d.edges],
        ),
        ("wiring", [f"  {w.text}{_times(w.count)}" for w in d.wiring]),
        ("loops and repeated layers", [f"  {c.what}: ×{c.old} → ×{c.new}" for c in d.counts]),
        ("gates", [f"  {g.cell}: {_gate_text(g.added, g.removed)}" for g in d.gates]),
        ("outputs", [f"  {o.path}: {shape(o.old)} → {shape(o.new)}" for o in d.outputs]),
        ("checkpoint (OLD's state dict into NEW)", _checkpoint_lines(d)),
    ]
    for title, lines in sections:
        if lines:
            out.append(f"{title}:")
            out += _clip(lines, TEXT_LIMIT)
    out.append(f"totals: {totals_line(*d.totals)}")
    return "\n".join(out) + "\n"


def _gate_text(added: Iterable[str], removed: Iterable[str]) -> str:
    return ", ".join([*(f"+ {g}" for g in added), *(f"- {g}" for g in removed)])


def _module_lines(d: Diff) -> list[str]:
    lines = [f"  + {e.path} ({e.type}, {e.params:,} params{_inside(e.inside)})" for e in d.added]
    lines += [f"  - {e.path} ({e.type}, {e.params:,} params{_inside(e.inside)})" for e in d.removed]
    lines += [f"  → {r.old} → {r.new} ({r.type})" for r in d.renamed]
    for c, n in grouping.module_changes(d.changed):
        name = c.path or "model"
        lines.append(f"  ~ {name} ({c.type}): {'; '.join(c.what)}" + _params_note(c.params) + _times(n))
    return lines


def _inside(n: int) -> str:
    return f", {n} module{'s' if n > 1 else ''} inside" if n else ""


def _params_note(params: tuple[int, int]) -> str:
    a, b = params
    return f"; params {_delta(a, b)}" if a != b else ""


def _checkpoint_lines(d: Diff) -> list[str]:
    ck = d.checkpoint
    if ck.loads:
        return []
    missing = grouping.keys(ck.missing, grouping.added_paths(d))
    unexpected = grouping.keys(ck.unexpected, grouping.removed_paths(d))
    lines = [f"  missing (NEW's, not in OLD): {k} {s}{_times(n)}" for k, s, n in missing]
    lines += [f"  unexpected (OLD's, not in NEW): {k} {s}{_times(n)}" for k, s, n in unexpected]
    lines += [f"  shape mismatch: {k} {shape(a)} → {shape(b)}{_times(n)}" for k, a, b, n in grouping.mismatched(ck)]
    lines += [f"  rename: {a} → {b}" for a, b in ck.renames]
    return lines


_OPEN, _CLOSE = "\x00", "\x01"  # a code span inside a cell, until the cell is escaped


def code(text: str) -> str:
    """`text` as a code span in a Markdown cell (its backticks dropped)."""
    return _OPEN + text.replace("`", "") + _CLOSE


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, no line breaks, no HTML, code spans kept."""
    out = []
    for k, part in enumerate(text.replace(_CLOSE, _OPEN).split(_OPEN)):
        if k % 2:
            out.append("`" + part.replace("|", "\\|").replace("\n", " ") + "`")
        else:
            plain = part.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            out.append(plain.replace("`", "'").replace("\n", " ").replace("*", "\\*").replace("_", "\\_"))
    return "".join(out)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    shown = rows[:MD_LIMIT]
    out += ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in shown]
    if len(rows) > MD_LIMIT:
        out.append(f"\n… and {len(rows) - MD_LIMIT} more rows (see `archviz diff --format json`).")
    return out


def to_markdown(d: Diff, mermaid: str = "") -> str:
    """The PR comment: a headline, a table per kind of change, the checkpoint, totals, and the changed region."""
    out = [f"### archviz diff: {md_cell(code(d.old))} → {md_cell(code(d.new))}", ""]
    if not d.any:
        out += [f"**{NO_CHANGE}**", "", *_totals_table(d), ""]
        return "\n".join(out)
    out += [f"**{md_cell(summary_line(d))}**", ""]
    out += [f"> note: {md_cell(n)}" for n in d.notes]
    rows = [["+ added", code(e.path), e.type, f"{e.params:,} params{_inside(e.inside)}"] for e in d.added]
    rows += [["− removed", code(e.path), e.type, f"{e.params:,} params{_inside(e.inside)}"] for e in d.removed]
    rows += [["→ renamed", code(r.old) + " → " + code(r.new), r.type, f"{r.params:,} params"] for r in d.renamed]
    rows += [
        ["~ changed", code(c.path or "model"), c.type, "; ".join(c.what) + _params_note(c.params) + _times(n)]
        for c, n in grouping.module_changes(d.changed)
    ]
    rows += [[f"{o.sign} op", code(o.where or "model"), o.op, f"×{o.count}"] for o in d.ops]
    _section(out, "Modules", ["", "module", "class", "what"], rows)
    edge_rows = [
        [code(e.src) + " → " + code(e.dst), shape(e.old), shape(e.new), _times(e.count).strip()] for e in d.edges
    ]
    _section(out, "Shapes on edges", ["edge", "before", "after", ""], edge_rows)
    _section(out, "Wiring", ["change"], [[w.text + _times(w.count)] for w in d.wiring])
    _section(
        out,
        "Loops and repeated layers",
        ["", "before", "after"],
        [[c.what, f"×{c.old}", f"×{c.new}"] for c in d.counts],
    )
    _section(
        out,
        "Gates",
        ["cell", "added", "removed"],
        [[g.cell, ", ".join(g.added), ", ".join(g.removed)] for g in d.gates],
    )
    _section(out, "Outputs", ["output", "before", "after"], [[o.path, shape(o.old), shape(o.new)] for o in d.outputs])
    out += _checkpoint_md(d)
    out += ["#### Totals", "", *_totals_table(d), ""]
    if mermaid:
        out += [
            "<details><summary>Changed region</summary>",
            "",
            "```mermaid",
            mermaid.rstrip(),
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(out)


def _section(out: list[str], title: str, head: list[str], rows: list[list[str]]) -> None:
    if rows:
        out += [f"#### {title}", "", *_table(head, rows), ""]


def _checkpoint_md(d: Diff) -> list[str]:
    ck = d.checkpoint
    if ck.loads:
        return ["#### Checkpoint", "", "OLD's state dict loads into NEW as it is.", ""]
    missing = grouping.keys(ck.missing, grouping.added_paths(d))
    unexpected = grouping.keys(ck.unexpected, grouping.removed_paths(d))
    rows = [["missing", code(k), s + _times(n)] for k, s, n in missing]
    rows += [["unexpected", code(k), s + _times(n)] for k, s, n in unexpected]
    rows += [
        ["shape mismatch", code(k), f"{shape(a)} → {shape(b)}{_times(n)}"] for k, a, b, n in grouping.mismatched(ck)
    ]
    out = ["#### Checkpoint", "", "OLD's state dict would not load into NEW (`strict=True`):", ""]
    out += _table(["", "key", "shape"], rows) if rows else ["Only the renames below stand in the way."]
    if ck.renames:
        out += ["", "Rename map (apply to OLD's state dict before loading):", "", "```python", "renames = {"]
        out += [f"    {a!r}: {b!r}," for a, b in ck.renames]
        out += ["}", "state = {renames.get(k, k): v for k, v in state.items()}", "```"]
    return [*out, ""]


def _totals_table(d: Diff) -> list[str]:
    old, new = d.totals
    rows = [
        ["parameters", f"{old.params:,}", f"{new.params:,}", _change(old.params, new.params)],
        ["buffers", _num(old.buffers), _num(new.buffers), _change(old.buffers, new.buffers)],
        ["ops", f"{old.ops:,}", f"{new.ops:,}", _change(old.ops, new.ops)],
    ]
    return _table(["", "OLD", "NEW", "change"], rows)


def _num(n: int | None) -> str:
    return "not recorded" if n is None else f"{n:,}"


def _change(a: int | None, b: int | None) -> str:
    if a is None or b is None:
        return ""
    if a == b:
        return "="
    return f"{b - a:+,}" + (f" ({(b - a) / a:+.1%})" if a else "")
