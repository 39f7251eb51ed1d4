"""shared-gate: two gates of a hand-written recurrent cell that are one value.

Gates are the σ/tanh ops the cell analysis found (`Cell.nodes` of kind gate, with their calls). Two of
them are one value when the same weight reads the same tensor: equal `value_key`s, the same module (or
op with the same arguments) applied to inputs with equal keys — `sigmoid(self.reset(xh))` twice, two
gates reading one un-chunked Linear output, the same slice of a fused one. A gate is also used for two
when one gate tensor scales both products of a state update (`c = f * c + f * g`, or `i = f = o = …`).
Only identities of the record are used, never values, so a correct cell (an MGU's f used as reset and
update, a CIFG's 1 − f) is not mistaken.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from ...kinds import (
    ADD_OPS,
    GETITEM,
    IN_PLACE_DUNDERS,
    MUL_OPS,
    RANDOM_OPS,
    CallKind,
    FindingCode,
    Severity,
    WireKind,
    op_stem,
)
from ...record import Call, Cell, Finding, TensorMeta, WireNode, shape_text
from ..custom_cells import assigned_names
from ..ops import activation
from .context import Context, constructor_line, finding, index_positions, op_of

Key = tuple[object, ...]


# ---------------------------------------------------------------------------------------------
# what value a tensor is: two tensors with one key hold the same numbers
# ---------------------------------------------------------------------------------------------


def _random(ctx: Context, c: Call) -> bool:
    """`c` draws random numbers (dropout, rand…), or is a module with such an op inside."""
    index = ctx.index.calls
    inner = index.calls[index.position(c.id) : index.end(c.id) + 1]
    return any("dropout" in x.name.lower() or op_stem(x.name) in RANDOM_OPS or "Dropout" in x.type for x in inner)


def value_key(ctx: Context, t: TensorMeta, memo: dict[str, Key], depth: int = 0) -> Key:
    """A key equal for two tensors computed the same way from the same tensors: the same module (or op,
    with the same arguments) applied to inputs with equal keys. Random or in-place work keys by tensor."""
    if t.tid in memo:
        return memo[t.tid]
    c = ctx.index.made_by(t)
    key: Key = ("tensor", t.tid)
    if c is not None and depth < 8 and c.inputs and not _random(ctx, c) and c.name not in IN_PLACE_DUNDERS:
        slot = next((i for i, o in enumerate(c.outputs) if o.tid == t.tid), -1)
        inputs = tuple(value_key(ctx, x, memo, depth + 1) for x in c.inputs)
        if c.kind == CallKind.MODULE:
            key = ("module", c.name, slot, inputs)
        elif not (c.name.endswith("_") and not c.name.startswith("__")):  # `add_` changes its input
            key = ("op", c.name, tuple((a.path, a.summary) for a in c.args), slot, inputs)
    memo[t.tid] = key
    return key


# ---------------------------------------------------------------------------------------------
# shared-gate: two gates of a hand-written cell that are one value
# ---------------------------------------------------------------------------------------------


def shared_gate(ctx: Context) -> list[Finding]:
    """Gates of a hand-written cell computed by one weight from one input (so equal at every step), or
    one gate that scales both the old state and the candidate of a state update."""
    found = []
    memo: dict[str, Key] = {}
    for cell in ctx.trace.cells:
        if cell.custom:
            found += _same_gates(ctx, cell, memo) + _one_gate_twice(ctx, cell)
    return found


def _gate_calls(ctx: Context, cell: Cell) -> list[tuple[WireNode, Call]]:
    found = []
    for node in cell.nodes:
        c = ctx.index.get(node.call) if node.kind == WireKind.GATE else None
        if c is not None and c.inputs:
            found.append((node, c))
    return found


def _same_gates(ctx: Context, cell: Cell, memo: dict[str, Key]) -> list[Finding]:
    """Report every group of two or more gates whose pre-activations are one value."""
    groups: dict[Key, list[Call]] = {}
    for _node, c in _gate_calls(ctx, cell):
        groups.setdefault(value_key(ctx, c.inputs[0], memo), []).append(c)
    return [_same_gates_finding(ctx, cell, group) for group in groups.values() if len(group) > 1]


def _gate_name(c: Call, taken: Iterable[str] = ()) -> str:
    """The variable a gate is assigned to (`z = torch.sigmoid(…)`: z), else `the σ at line 30`."""
    names = assigned_names(c.source.code) if c.source else []
    if len(names) == 1 and names[0] not in taken:
        return names[0]
    return f"the {op_of(c)} at line {c.source.line}" if c.source else f"the {op_of(c)}"


def _names(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def _pre_activation(ctx: Context, c: Call) -> str:
    """`reset(…)` or `gates(…)[:, :8]`: what a gate's activation is applied to, as far as the record says."""
    maker = ctx.index.made_by(c.inputs[0])
    if maker is None:
        return "one tensor"
    if maker.kind == CallKind.MODULE:
        return f"self.{_attr(maker)}(…)"
    inner = ctx.index.made_by(maker.inputs[0]) if maker.inputs else None
    if maker.name == GETITEM and inner is not None and inner.kind == CallKind.MODULE:
        index = ", ".join(text for _, text in index_positions(maker))
        return f"self.{_attr(inner)}(…)[{index}]"
    return f"the output of {op_of(maker)} (line {maker.source.line})" if maker.source else "one tensor"


def _attr(module: Call) -> str:
    """The attribute a module is called through inside its parent (`gate` for `cell.gate`)."""
    return module.name.rpartition(".")[2]


def _same_gates_finding(ctx: Context, cell: Cell, group: list[Call]) -> Finding:
    names: list[str] = []
    for c in group:
        names.append(_gate_name(c, names))
    second = group[1]
    maker = ctx.index.made_by(second.inputs[0])
    acts = [op_of(c) for c in group]
    same = len(set(acts)) < len(acts)
    pre = _pre_activation(ctx, second)
    lines = sorted({c.source.line for c in group if c.source})
    idle = _uncalled_sibling(ctx, maker)
    shape = shape_text(second.outputs[0].shape) if second.outputs else "?"
    return finding(
        Severity.WARNING if same else Severity.NOTE,
        FindingCode.SHARED_GATE,
        f"gates {_names(names)} are {'both' if len(names) == 2 else 'all'} computed from {pre}: one weight, "
        + ("the same values" if same else "the same pre-activation"),
        second.source,
        f"{_names([f'{n} = {a}({pre})' for n, a in zip(names, acts, strict=True)])} (lines "
        f"{', '.join(map(str, lines))}), each {shape}, in one step of {_cell_name(cell)}"
        + (f"; self.{idle.rpartition('.')[2]} is registered and never called" if idle else ""),
        _same_why(names, acts),
        _same_fix(names, idle, sliced=maker is not None and maker.name == GETITEM),
        [c.id for c in group],
    )


def _same_why(names: list[str], acts: list[str]) -> str:
    alike = [n for n, a in zip(names, acts, strict=True) if acts.count(a) > 1]
    values = f"{_names(alike)} the same values" + (
        f" ({_names(names)} one pre-activation)" if len(alike) < len(names) else ""
    )
    return (
        f"the same weight applied to the same input gives {values} at every step, so the cell cannot open one "
        "gate while it closes the other (keep its memory while it writes, say): it has the freedom of fewer "
        "gates than it names"
    )


def _cell_name(cell: Cell) -> str:
    return f"'{cell.path}'" if cell.path else "the loop in forward"


def _same_fix(names: list[str], idle: str | None, sliced: bool) -> str:
    if sliced:
        return f"take {names[1]} from its own slice of the fused pre-activations (the next H features, say)"
    rest = _names(names[1:])
    own = (
        f"compute {names[1]} with self.{idle.rpartition('.')[2]}, its own layer"
        if idle
        else f"give {rest} {'its' if len(names) == 2 else 'their'} own weight{'s' * (len(names) > 2)}"
    )
    return f"{own} (a Linear per gate, or one Linear of {len(names)}·H outputs chunked into the gates)"


def _uncalled_sibling(ctx: Context, maker: Call | None) -> str | None:
    """A registered, never-called layer beside the shared one (`update` beside `reset`): the weight meant."""
    if maker is None or maker.kind != CallKind.MODULE:
        return None
    parent = maker.name.rpartition(".")[0]
    for path in ctx.trace.uncalled:
        built = constructor_line(ctx, path) if path.rpartition(".")[0] == parent else None
        if built is not None and re.search(rf"\b{re.escape(maker.type)}\(", built.code):
            return path
    return None


def _one_gate_twice(ctx: Context, cell: Cell) -> list[Finding]:
    """Report a state update `c = g ⊙ c + g ⊙ ĉ` whose two products are scaled by one gate tensor."""
    gates = {c.id: c for _node, c in _gate_calls(ctx, cell)}
    found = []
    for node in cell.nodes:
        add = ctx.index.get(node.call)
        if add is None or op_stem(add.name) not in ADD_OPS or not _is_state(cell, node):
            continue
        factors = [_gate_factors(ctx, t, gates) for t in add.inputs]
        common = set(factors[0]).intersection(*factors[1:]) if len(factors) == 2 else set()
        if common:
            found.append(_one_gate_finding(ctx, cell, add, gates[sorted(common)[0]]))
    return found


def _is_state(cell: Cell, node: WireNode) -> bool:
    """The node's value leaves the step as a state (an output of the cell)."""
    return any(e.src == node.id and e.dst.startswith("out:") for e in cell.edges)


def _gate_factors(ctx: Context, t: TensorMeta, gates: dict[str, Call]) -> list[str]:
    """Ids of the gate calls whose own output is a factor of the product that made `t` (none if no product)."""
    mul = ctx.index.made_by(t)
    if mul is None or mul.kind != CallKind.OP or op_stem(mul.name) not in MUL_OPS:
        return []
    makers = [ctx.index.made_by(x) for x in mul.inputs]
    return [m.id for m in makers if m is not None and m.id in gates]


def _one_gate_finding(ctx: Context, cell: Cell, add: Call, gate: Call) -> Finding:
    chained = _chained_names(gate.source.code) if gate.source else []
    idle = _idle_activations(ctx, cell)
    if chained and not idle:  # one gate made for several: the line that made it is the wrong one
        return _made_once_finding(ctx, gate, chained, add)
    state = (assigned_names(add.source.code) if add.source else []) or ["the state"]
    name = (_product_factor(add.source.code) if add.source else None) or _gate_name(gate)
    left = f"; {_names(idle)} computed and never read" if idle else ""
    return finding(
        Severity.WARNING,
        FindingCode.SHARED_GATE,
        f"the update of {state[0]} scales the old state and the new candidate by one gate, {name}",
        add.source,
        f"{_code(add)}: both products are scaled by {name} ({op_of(gate)} at line "
        f"{gate.source.line if gate.source else '?'}), {_shape(gate)}{left}",
        f"with one gate for forgetting and for writing, {state[0]} = {name}·({state[0]} + candidate): the cell "
        "can keep its memory only while it also writes, and forget only while it ignores the input",
        f"scale the candidate by the input gate ({state[0]} = f * {state[0]} + i * g), or tie the two on purpose "
        f"with 1 - f ({state[0]} = f * {state[0]} + (1 - f) * g)",
        [add.id, gate.id],
    )


def _made_once_finding(ctx: Context, gate: Call, chained: list[str], add: Call) -> Finding:
    """Report `i = f = o = σ(W x)`: one activation assigned to several gates."""
    scaled = sorted({m.source.line for m in _products(ctx, gate) if m.source})
    return finding(
        Severity.WARNING,
        FindingCode.SHARED_GATE,
        f"gates {_names(chained)} are one tensor: {op_of(gate)}({_pre_activation(ctx, gate)})",
        gate.source,
        f"{_code(gate)}: one {op_of(gate)} output {_shape(gate)} scales {len(_products(ctx, gate))} products "
        f"of the step (lines {', '.join(map(str, scaled))}), both sides of {_code(add)} among them",
        f"{_names(chained)} are equal at every step, so the cell has the freedom of one gate: it can keep its "
        "memory only while it also writes (and shows) it",
        f"compute {_names(chained)} from their own weights (one Linear of {len(chained)}·H outputs, chunked into "
        "the gates)",
        [gate.id, add.id],
    )


def _products(ctx: Context, gate: Call) -> list[Call]:
    """The elementwise products that read a gate's output."""
    readers = (ctx.index.get(r) for r in ctx.index.readers(gate.outputs[0].tid)) if gate.outputs else iter(())
    return [r for r in readers if r is not None and r.kind == CallKind.OP and op_stem(r.name) in MUL_OPS]


def _code(c: Call) -> str:
    """The source line of a call without its trailing comment."""
    return re.sub(r"\s+#.*$", "", c.source.code).strip() if c.source else op_of(c)


def _shape(c: Call) -> str:
    return shape_text(c.outputs[0].shape) if c.outputs else "?"


def _idle_activations(ctx: Context, cell: Cell) -> list[str]:
    """`sigmoid(i) (line 25)` for each σ/tanh of the step whose value nothing reads."""
    found = []
    for node in cell.nodes:
        c = ctx.index.get(node.call) if node.kind == WireKind.OP else None
        if c is None or activation(c) is None or not c.outputs or ctx.index.used(c.outputs[0]):
            continue
        found.append(f"{op_of(c)}({_operand_name(ctx, cell, c)})" + (f" (line {c.source.line})" if c.source else ""))
    return found


def _operand_name(ctx: Context, cell: Cell, c: Call) -> str:
    """What an activation reads, as its source line writes it (`torch.sigmoid(i), torch.sigmoid(f)`: the
    k-th such call of the line is the k-th to run in the step); `…` when the line does not say."""
    if c.source is None:
        return "…"
    try:
        tree = ast.parse(c.source.code.strip())
    except SyntaxError:
        return "…"
    written = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _func_name(n) == op_stem(c.name) and n.args]
    written.sort(key=lambda n: (n.lineno, n.col_offset))
    ran = [
        x.id
        for x in (ctx.index.get(n.call) for n in cell.nodes)
        if x is not None and x.name == c.name and x.source is not None and x.source.line == c.source.line
    ]
    if len(written) != len(ran) or c.id not in ran:
        return "…"
    return ast.unparse(written[ran.index(c.id)].args[0])


def _func_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _chained_names(code: str) -> list[str]:
    """`i = f = o = torch.sigmoid(…)` -> [i, f, o]; [] for a single or a tuple target."""
    try:
        node = ast.parse(code.strip()).body[0]
    except (SyntaxError, IndexError):
        return []
    if not isinstance(node, ast.Assign) or len(node.targets) < 2:
        return []
    return [t.id for t in node.targets if isinstance(t, ast.Name)]


def _product_factor(code: str) -> str | None:
    """The name both products of `c = f * c + f * g` share (f), if the line is such a sum."""
    try:
        node = ast.parse(code.strip()).body[0]
    except (SyntaxError, IndexError):
        return None
    value = getattr(node, "value", None)
    if not isinstance(value, ast.BinOp) or not isinstance(value.op, ast.Add):
        return None
    sides = [value.left, value.right]
    names = [
        {ast.unparse(x) for x in (s.left, s.right)}
        for s in sides
        if isinstance(s, ast.BinOp) and isinstance(s.op, ast.Mult)
    ]
    common = set.intersection(*names) if len(names) == 2 else set()
    return sorted(common)[0] if len(common) == 1 else None


RULES = (shared_gate,)
