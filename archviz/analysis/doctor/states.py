"""bidirectional: the final states of a bidirectional or stacked nn.LSTM/GRU/RNN read as the wrong
direction or layer.

`h_n` (and `c_n`) is [num_layers · directions, B, H] in PyTorch's documented order: layer 0 forward,
layer 0 reverse, layer 1 forward, … . Each integer (or slice) a forward pass indexes it with names one
layer and direction, so the record says which rows were read; the rules compare that with what the
code then does with them. A model that uses `h_n` whole (a decoder's initial state) says nothing here.
The last step of a bidirectional output sequence (`out[-1]`, whose reverse half has read one step) is
`layout.padding_read`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...kinds import C_N_PATH, GETITEM, H_N_PATHS, JOIN_OPS, RECURRENT_MODULES, CallKind, FindingCode, Severity
from ...record import Call, Finding, RecurrentConfig, TensorMeta, shape_text
from ..custom_cells import assigned_names
from .context import Context, dim_arg, finding, index_positions, is_int, op_of

# Ops that hand a tensor on unchanged in value and shape: a row read after them is still a row.
_SAME = frozenset({"contiguous", "detach", "clone", "to", "float", "double", "half", "bfloat16", "type_as"})


@dataclass(frozen=True)
class _Read:
    """One indexing of a state tensor along its first axis: the call and the rows it takes."""

    call: Call
    rows: tuple[int, ...]
    state: str  # h_n or c_n


def bidirectional(ctx: Context) -> list[Finding]:
    """Rows of h_n that are not the top layer (or not its forward direction) read as the final state, and
    `cat([h_n[-1], h_n[-2]])` halves read in the order of the output's features."""
    found = []
    for c in ctx.trace.calls:
        cfg = c.config
        if c.kind != CallKind.MODULE or c.type not in RECURRENT_MODULES or cfg is None or cfg.cell:
            continue
        reads = _state_reads(ctx, c)
        if reads is None or not reads:
            continue
        found += _wrong_rows(ctx, c, cfg, reads) + _swapped_halves(ctx, c, cfg, reads)
    return found


# ---------------------------------------------------------------------------------------------
# which rows were read
# ---------------------------------------------------------------------------------------------


def _state_reads(ctx: Context, rnn: Call) -> list[_Read] | None:
    """Every indexing of h_n and c_n along the layer·direction axis; None when either is used otherwise
    (whole, reshaped, returned): then what the code reads is not a set of rows."""
    reads: list[_Read] = []
    for t in rnn.outputs:
        state = "h_n" if t.path in H_N_PATHS else "c_n" if t.path == C_N_PATH else None
        if state is None or len(t.shape) != 3:
            continue
        found = _rows_of(ctx, rnn, t, state)
        if found is None:
            return None
        reads += found
    return reads


def _rows_of(ctx: Context, rnn: Call, t: TensorMeta, state: str, depth: int = 0) -> list[_Read] | None:
    """The row reads of state tensor `t` of `rnn`, through ops that hand it on unchanged."""
    if t.tid in ctx.index.final or depth > 3:
        return None
    reads: list[_Read] = []
    for rid in dict.fromkeys(ctx.index.readers(t.tid)):
        r = ctx.index.get(rid)
        if r is None or ctx.index.within(rid, rnn.id):
            continue
        if r.kind == CallKind.OP and r.name in _SAME and r.outputs and r.outputs[0].shape == t.shape:
            more = _rows_of(ctx, rnn, r.outputs[0], state, depth + 1)
            if more is None:
                return None
            reads += more
            continue
        rows = (
            _rows(r, t.shape[0]) if r.kind == CallKind.OP and r.name == GETITEM and r.inputs[0].tid == t.tid else None
        )
        if rows is None:
            return None
        reads.append(_Read(r, rows, state))
    return reads


def _rows(c: Call, n: int) -> tuple[int, ...] | None:
    """The rows an index takes along dim 0 (`-1` -> (n-1,), `-2:` -> (n-2, n-1)); None when not plain."""
    first = next((text.strip() for dim, text in index_positions(c) if dim == 0), None)
    if first is None:
        return None
    if is_int(first):
        return (int(first) % n,) if -n <= int(first) < n else None
    m = re.fullmatch(r"(-?\d+)?:(-?\d+)?(?::(-?\d+))?", first)
    if m is None:
        return None
    start, stop, step = (int(g) if g else None for g in m.groups())
    return tuple(range(n)[slice(start, stop, step)])


def _row_name(row: int, cfg: RecurrentConfig) -> str:
    """`layer 1 reverse` for row 3 of a two-layer bidirectional module; `layer 0` for a one-direction one."""
    layer, direction = divmod(row, cfg.directions)
    return f"layer {layer}" + ((" reverse" if direction else " forward") if cfg.bidirectional else "")


def _index_text(row: int, cfg: RecurrentConfig) -> str:
    """How the row is usually written: negative for the top layer (`h_n[-2]`), else its number."""
    n = cfg.num_layers * cfg.directions
    return str(row - n) if row >= n - cfg.directions else str(row)


def _sequence_used(ctx: Context, rnn: Call) -> bool:
    """Something outside the module reads its output sequence (which holds the top layer's states)."""
    seq = next((t for t in rnn.outputs if t.path in ("output[0]", "output[0].data", "output")), None)
    return seq is not None and ctx.index.used(seq, by=rnn.id)


# ---------------------------------------------------------------------------------------------
# a lower layer, or the top layer's reverse direction alone, read as the final state
# ---------------------------------------------------------------------------------------------


def _wrong_rows(ctx: Context, rnn: Call, cfg: RecurrentConfig, reads: list[_Read]) -> list[Finding]:
    rows = {row for r in reads for row in r.rows}
    n = cfg.num_layers * cfg.directions
    top = set(range(n - cfg.directions, n))
    if _sequence_used(ctx, rnn):
        return []  # the top layer reaches the result through the output sequence: the rows may be on purpose
    if not rows & top:
        return [_lower_layer(ctx, rnn, cfg, reads, sorted(rows))]
    forward, reverse = n - 2, n - 1
    if cfg.bidirectional and reverse in rows and forward not in rows:
        return [_reverse_only(ctx, rnn, cfg, [r for r in reads if reverse in r.rows])]
    return []


def _lower_layer(ctx: Context, rnn: Call, cfg: RecurrentConfig, reads: list[_Read], rows: list[int]) -> Finding:
    """Report rows of layers below the top read while the top layer feeds nothing."""
    first = reads[0].call
    taken = _names([f"{reads[0].state}[{r}] ({_row_name(r, cfg)})" for r in rows])
    top = cfg.num_layers - 1
    want = "h_n[-2] and h_n[-1]" if cfg.bidirectional else "h_n[-1]"
    return finding(
        Severity.WARNING,
        FindingCode.BIDIRECTIONAL,
        f"{_names([f'{reads[0].state}[{r}]' for r in rows])} of {rnn.type} '{rnn.name}' "
        f"{'is' if len(rows) == 1 else 'are'} layer {rows[0] // cfg.directions}, not the last layer",
        first.source,
        f"{reads[0].state} {shape_text(_state_shape(rnn))} of a {cfg.num_layers}-layer"
        f"{' bidirectional' if cfg.bidirectional else ''} {rnn.type}: the code reads {taken}; nothing reads "
        f"layer {top} (its rows or the output sequence)",
        f"{reads[0].state} is ordered layer by layer from the bottom{' (forward, then reverse)' * cfg.bidirectional}, "
        f"so row {rows[0]} is layer {rows[0] // cfg.directions}: the result skips layer {top}, whose weights "
        "then get no gradient, while the shapes are those of the top layer",
        f"take the last layer's {'states' if cfg.bidirectional else 'state'}, {want} "
        f"(or {reads[0].state}.view({cfg.num_layers}, {cfg.directions}, B, H)[-1])",
        [first.id, rnn.id],
    )


def _reverse_only(ctx: Context, rnn: Call, cfg: RecurrentConfig, reads: list[_Read]) -> Finding:
    """Report the top layer's reverse state read (once or more) where its forward state never is."""
    n = cfg.num_layers * cfg.directions
    blamed = next((r for r in reads if _says_forward(r.call)), reads[0])
    twice = f", read {len(reads)} times (lines {_lines(reads)})" if len(reads) > 1 else ""
    state = blamed.state
    return finding(
        Severity.WARNING,
        FindingCode.BIDIRECTIONAL,
        f"{state}[-1] of bidirectional {rnn.type} '{rnn.name}' is the last layer's reverse state; "
        f"its forward state {state}[-2] is never read",
        blamed.call.source,
        f"{state} {shape_text(_state_shape(rnn))}: {state}[-1] is {_row_name(n - 1, cfg)}{twice}; "
        f"{state}[-2] ({_row_name(n - 2, cfg)}) and the output sequence are not read",
        f"{state}[-1] is the state after the reverse direction has read the sequence right to left (it ends at "
        f"the first step); the forward final state of the last layer is {state}[-2], so the forward direction "
        "of the last layer feeds nothing and gets no gradient",
        f"use {state}[-2] where the forward final state is meant, or torch.cat([{state}[-2], {state}[-1]], dim=-1) "
        "for both directions",
        [blamed.call.id, rnn.id],
    )


def _says_forward(c: Call) -> bool:
    """The line assigns the row to a name that says forward (`forward_final = h_n[-1]`)."""
    names = assigned_names(c.source.code) if c.source else []
    return any(re.search(r"forward|fwd|(^|_)f($|_)|left_to_right|l2r", n, re.I) for n in names)


def _lines(reads: list[_Read]) -> str:
    return ", ".join(str(r.call.source.line) for r in reads if r.call.source)


def _names(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def _state_shape(rnn: Call) -> tuple[int, ...]:
    return next((t.shape for t in rnn.outputs if t.path in H_N_PATHS), ())


# ---------------------------------------------------------------------------------------------
# [reverse | forward] halves read as [forward | reverse]
# ---------------------------------------------------------------------------------------------


def _swapped_halves(ctx: Context, rnn: Call, cfg: RecurrentConfig, reads: list[_Read]) -> list[Finding]:
    """Report `cat([h_n[2l+1], h_n[2l]], dim=-1)` (reverse first) when the code then takes one half of it."""
    if not cfg.bidirectional:
        return []
    single = {r.call.outputs[0].tid: r.rows[0] for r in reads if len(r.rows) == 1 and r.call.outputs}
    found = []
    for cid in dict.fromkeys(rid for tid in single for rid in ctx.index.readers(tid)):
        join = ctx.index.get(cid)
        rows = _swapped_rows(join, single) if join is not None else None
        half = _half_read(ctx, join.outputs[0], cfg.hidden_size) if join is not None and rows is not None else None
        if join is not None and rows is not None and half is not None:
            found.append(_swapped_finding(rnn, cfg, join, half, rows))
    return found


def _swapped_rows(join: Call, single: dict[str, int]) -> tuple[int, int] | None:
    """(reverse row, forward row) when `join` concatenates one layer's reverse state, then its forward one,
    along the features."""
    if join.kind != CallKind.OP or join.name not in JOIN_OPS or not join.outputs or len(join.inputs) != 2:
        return None
    rev, fwd = (single.get(t.tid) for t in join.inputs)
    if rev is None or fwd is None or not _last_dim(join):
        return None
    return (rev, fwd) if rev % 2 == 1 and fwd == rev - 1 else None


def _last_dim(join: Call) -> bool:
    rank = len(join.outputs[0].shape)
    d = dim_arg(join, rank)
    return (d if d is not None else 0) == rank - 1 and join.name not in ("stack",)


def _half_read(ctx: Context, t: TensorMeta, hidden: int) -> tuple[Call, str] | None:
    """An indexing that takes the first or the second `hidden` features of `t` (`[:, :H]`, `[:, H:]`)."""
    rank = len(t.shape)
    for rid in ctx.index.readers(t.tid):
        r = ctx.index.get(rid)
        if r is None or r.kind != CallKind.OP or r.name != GETITEM:
            continue
        last = next((text.strip() for dim, text in index_positions(r) if dim == rank - 1), None)
        if last in (f":{hidden}", f"0:{hidden}"):
            return r, "first"
        if last in (f"{hidden}:", f"{hidden}:{2 * hidden}", f"-{hidden}:"):
            return r, "second"
    return None


def _swapped_finding(
    rnn: Call, cfg: RecurrentConfig, join: Call, half: tuple[Call, str], rows: tuple[int, int]
) -> Finding:
    rev, fwd = rows
    n = cfg.num_layers * cfg.directions
    r_text, f_text = _index_text(rev, cfg), _index_text(fwd, cfg)
    read, which = half
    meant = "forward" if which == "first" else "reverse"
    got = "reverse" if which == "first" else "forward"
    return finding(
        Severity.WARNING,
        FindingCode.BIDIRECTIONAL,
        f"torch.cat([h_n[{r_text}], h_n[{f_text}]]) puts the reverse state first; its {which} half is then read "
        f"as the {meant} state",
        join.source,
        f"{op_of(join)} of h_n[{r_text}] ({_row_name(rev, cfg)}) and h_n[{f_text}] ({_row_name(fwd, cfg)}) "
        f"gives {shape_text(join.outputs[0].shape)} = [reverse | forward]; line "
        f"{read.source.line if read.source else '?'} takes its {which} {cfg.hidden_size} features "
        f"{shape_text(read.outputs[0].shape) if read.outputs else ''}",
        f"h_n[{r_text}] is the reverse direction (row {rev} of {n}: forward rows are even); the {rnn.type}'s "
        f"output and the usual summary are [forward | reverse], so the {which} half taken here is the {got} "
        f"final state where the code expects the {meant} one"
        + (
            " (a left-to-right decoder started from the state that read the source right to left, say)"
            * (which == "first")
        ),
        f"concatenate in PyTorch's order, torch.cat([h_n[{f_text}], h_n[{r_text}]], dim=-1), or take "
        f"h_n[{f_text if meant == 'forward' else r_text}] directly",
        [join.id, read.id, rnn.id],
    )


RULES = (bidirectional,)
