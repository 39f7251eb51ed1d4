"""Recognise the gates of hand-written recurrent cells in the traced op-level wiring.

A cell is a module called once per step of a loop (or one the user names with `--gates`). Its gates
are the σ/tanh ops (or nn.Sigmoid/nn.Tanh modules) inside it that gate: their value multiplies
another value the step computes, or is the state handed to the next step. They are named after the
variable the user's source line assigns (`z = …`, `i = torch.sigmoid(i)`), else by role. Shared Linear
layers and Mogrifier rounds are spotted too.
"""

from __future__ import annotations

import ast
import re
from collections import Counter

from ..kinds import (
    ACTIVATION_SYMBOLS,
    ADD_OPS,
    INPUT_PRODUCER,
    MUL_OPS,
    RSUB,
    SUB_OPS,
    Activation,
    CallKind,
    CellMode,
    WireKind,
    op_stem,
)
from ..record import Call, Cell, Gate, TensorMeta, Trace, WireEdge, WireNode, is_call_id, named_path, shape_text
from .ops import activation, round_product

# What an activation is called when the source line does not name it.
_ROLE_NAMES = {Activation.SIGMOID: "gate", Activation.TANH: "candidate", Activation.RELU: "activation"}


def assigned_names(code: str) -> list[str]:
    """Names a source line assigns (`z = …` → [z]; `i, f = …` → [i, f]); [] if not an assignment."""
    try:
        tree = ast.parse(code.strip())
    except SyntaxError:
        return []
    if not tree.body or not isinstance(tree.body[0], (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return []
    node = tree.body[0]
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    if isinstance(target, ast.Tuple):
        return [t.id for t in target.elts if isinstance(t, ast.Name)]
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Attribute, ast.Subscript)):
        return [ast.unparse(target)]
    return []


def _outermost_is(code: str, names: set[str]) -> bool:
    """True when the assigned value's outermost call is one of `names` (`z = torch.sigmoid(…)`)."""
    try:
        node = ast.parse(code.strip()).body[0]
    except (SyntaxError, IndexError):
        return False
    value = getattr(node, "value", None)
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in names


class _Cell:
    """Scratch analysis of one cell call's subtree."""

    def __init__(
        self,
        trace: Trace,
        kids: dict[str | None, list[Call]],
        root: Call,
        carried: frozenset[str] | None = None,
        weights: frozenset[str] = frozenset(),
    ) -> None:
        self.trace = trace
        self.root = root
        self.carried = carried  # tids of the outputs the next step reads; None when unknown
        self.weights = weights  # tids of root inputs that are parameters or constants, not step values
        self.members: list[Call] = []
        todo = list(kids.get(root.id, []))
        while todo:  # visible leaves of the subtree, in execution order
            c = todo.pop(0)
            inner = [k for k in kids.get(c.id, []) if not k.bookkeeping]
            if c.kind == CallKind.MODULE and inner:
                todo = inner + todo
            elif not c.bookkeeping:
                self.members.append(c)
        self.ids = {c.id for c in self.members}
        self.consumers: dict[str, list[Call]] = {}
        for c in self.members:
            for src in self.sources(c):
                self.consumers.setdefault(src, []).append(c)

    def resolve(self, t: TensorMeta, depth: int = 0) -> str | None:
        """Member id (or `in:<path>`) that produced tensor t, seen through bookkeeping and containers."""
        p = t.producer
        if p is None or depth > 30:
            return None
        if p in self.ids:
            return p
        for own in self.root.inputs:  # (a model input handed straight to the cell included)
            if own.tid == t.tid:
                return "in:" + own.path
        if p == INPUT_PRODUCER or not is_call_id(p):
            return None
        call = self.trace.call(p)
        if call.bookkeeping and call.inputs:
            return self.resolve(call.inputs[0], depth + 1)
        for out in call.outputs:
            if out.tid == t.tid and out.producer != p:
                return self.resolve(out, depth + 1)
        return None

    def sources(self, c: Call) -> list[str]:
        found = []
        for t in c.inputs:
            src = self.resolve(t)
            if src is not None and src not in found:
                found.append(src)
        return found

    def fixed(self, t: TensorMeta, depth: int = 0) -> bool:
        """True for a value no step computes: a parameter, buffer or constant, or one made in the cell
        from those alone (`self.v.unsqueeze(0)`, `torch.ones(3)`)."""
        if t.tid in self.weights:
            return True
        if depth > 30 or any(own.tid == t.tid for own in self.root.inputs):
            return False
        p = t.producer
        if p is None:
            return True  # never seen being made inside the trace: not a value of this forward
        if not is_call_id(p) or p == self.root.id:
            return False
        call = self.trace.call(p)
        if p not in self.ids and not call.bookkeeping:
            return False  # made outside the cell by the model's forward: assume it varies
        return all(self.fixed(i, depth + 1) for i in call.inputs)


def _arg_label(call: Call, path: str) -> str:
    """`h (args[1])` when the forward's parameter name is known, else the path."""
    named = named_path(path, call.arg_names)
    return f"{named} ({path})" if named != path and path.startswith("args[") else path


def _point_label(c: Call) -> str:
    """`⊙`, `+`, `1 −`, `×2` for elementwise ops; the op name otherwise."""
    op = op_stem(c.name)
    scalar = next((a.summary for a in c.args if a.path in ("args[1]", "kwargs['other']")), None)
    if op in MUL_OPS:
        return f"×{scalar}" if len(c.inputs) == 1 and scalar else "⊙"
    if op in ADD_OPS:
        return f"+{scalar}" if len(c.inputs) == 1 and scalar else "+"
    if op in SUB_OPS:
        return f"{scalar} −" if op == RSUB and scalar else "−"
    return op


def analyse(
    trace: Trace,
    kids: dict[str | None, list[Call]],
    root: Call,
    cid: str,
    steps: int,
    following: Call | None = None,
    back: tuple[WireEdge, ...] = (),
    per_step: bool = False,
    carried: frozenset[str] | None = None,
    weights: frozenset[str] = frozenset(),
) -> Cell:
    """Describe the wiring of custom cell call `root` (the first step's call; `following` is the second's).

    `back` adds recurrent edges the caller found; `per_step` notes how often each module runs per step
    (for a loop written inside one forward, where the cell is one step of that loop); `carried` names
    (by tid) the outputs the next step reads, else they are read off `following`; `weights` names the
    inputs that are parameters or constants (a loop step reads `self.v` as it reads `h`).
    """
    if carried is None and following is not None:
        carried = carried_outputs(trace, root, following)
    a = _Cell(trace, kids, root, carried, weights)
    kinds, names, used = _classify(a)
    state = _cell_state(a, names)
    rounds = _mogrifier_rounds(a, names)
    for c in a.members:  # tanh applied to the updated state is the output squashing, not a candidate
        if state and names.get(c.id) == _ROLE_NAMES[Activation.TANH] and state in _through_norms(a, c):
            names[c.id] = f"tanh({names[state].split(' ')[0]})"
    shared = tuple((n, k) for n, k in used.items() if k > 1)
    notes = [f"{n}: called ×{k} in one step, shared weights" for n, k in shared]
    if per_step:
        notes += [f"{n}: called ×1 per step" for n, k in used.items() if k == 1]
    if rounds:
        notes.append(f"Mogrifier: {rounds} rounds before the gates")
    return Cell(
        cid,
        root.id,
        root.name,
        CellMode.CUSTOM,
        steps=steps,
        gates=_gate_table(a, kinds, names),
        nodes=_wire_nodes(a, kinds, names),
        edges=_wire_edges(a, following) + back,
        notes=tuple(notes),
        shared=shared,
        rounds=rounds,
    )


def _classify(a: _Cell) -> tuple[dict[str, WireKind], dict[str, str], Counter[str]]:
    """Each member's wiring kind, the names of its gates, and how often each module is called."""
    names: dict[str, str] = {}
    kinds: dict[str, WireKind] = {}
    used: Counter[str] = Counter()
    for c in a.members:
        code = c.source.code if c.source else ""
        op = op_stem(c.name) if c.kind == CallKind.OP else c.name.rsplit(".", 1)[-1]  # `self.sig(f)`: sig
        act = activation(c)
        if act is not None and _gates(a, c):
            targets = assigned_names(code)
            single = len(targets) == 1 and _outermost_is(code, {c.name, op})
            names[c.id] = targets[0] if single else _ROLE_NAMES[act]
            kinds[c.id] = WireKind.GATE
        elif act is not None:
            kinds[c.id] = WireKind.OP  # an activation that gates nothing, op or nn.Tanh module alike
        elif c.kind == CallKind.MODULE:
            kinds[c.id] = WireKind.LINEAR
            if c.params:  # a parameter-free module (nn.Dropout) shares no weights however often it runs
                used[c.name] += 1
        elif op in MUL_OPS or op in ADD_OPS or op in SUB_OPS:
            kinds[c.id] = WireKind.POINTWISE
        else:
            kinds[c.id] = WireKind.OP
    return kinds, names, used


def _gates(a: _Cell, act: Call) -> bool:
    """A σ or tanh is a gate when its output scales a value the step computes (a state, a candidate,
    the input): it reaches such a product (`z * h`, `(1 - z) * n`, `2 * σ(·) * x`) through elementwise
    steps with constants or parameters only. A product with a parameter or constant is a weighting
    (additive attention's `sum(self.v * tanh(W q + U k))`), and so is a tanh feeding a Linear
    (`v(tanh(·))`): both are activations. ReLU never is a gate."""
    if activation(act) == Activation.RELU:
        return False
    state = [t for t in a.root.outputs if a.carried is None or t.tid in a.carried]
    if any(a.resolve(t) == act.id for t in state):
        return True  # the new state itself, read by the next step (an Elman cell's `h = tanh(W x + U h)`)
    todo, seen = [act], set()
    while todo:
        c = todo.pop()
        for user in a.consumers.get(c.id, []):
            op = op_stem(user.name) if user.kind == CallKind.OP else ""
            if user.id in seen or not (op in MUL_OPS or op in ADD_OPS or op in SUB_OPS):
                continue
            seen.add(user.id)
            varying = [t for t in user.inputs if a.resolve(t) != c.id and not a.fixed(t)]
            if op in MUL_OPS and varying:
                return True
            if not varying:
                todo.append(user)  # `1 - z`, `2 * σ`, `self.w * σ`: still the gate's value, rescaled
    return False


def carried_outputs(trace: Trace, root: Call, following: Call) -> frozenset[str]:
    """Tids of `root`'s outputs that the next step `following` reads: directly, or through calls between
    the two steps that read that value alone (`h = self.drop(self.cell(x, h))`). A value mixed with
    others on the way (`self.cell(self.attn(h, k), h)`) is an input of another state, not a state."""
    index = trace.index
    first, last = index.position(root.id), index.position(following.id)
    found: set[str] = set()
    todo, seen = list(following.inputs), set()
    while todo:
        t = todo.pop()
        if t.tid in seen or not is_call_id(t.producer):
            continue
        seen.add(t.tid)
        if t.producer == root.id:
            found.add(t.tid)
        elif t.producer in index and first < index.position(t.producer) < last:
            made = index.call(t.producer)
            if len(made.inputs) == 1:
                todo.extend(made.inputs)
    return frozenset(found)


def _gate_table(a: _Cell, kinds: dict[str, WireKind], names: dict[str, str]) -> tuple[Gate, ...]:
    gates = []
    for c in a.members:
        act = activation(c)
        if kinds[c.id] == WireKind.GATE and act is not None:
            shape = c.outputs[0].shape if c.outputs else ()
            gates.append(Gate(names[c.id], act, shape, _feeding_weights(a, c), c.source.code if c.source else ""))
    return tuple(gates)


def _wire_nodes(a: _Cell, kinds: dict[str, WireKind], names: dict[str, str]) -> tuple[WireNode, ...]:
    root = a.root
    nodes = [WireNode("in:" + t.path, WireKind.INPUT, _arg_label(root, t.path), shape=t.shape) for t in root.inputs]
    for c in a.members:
        act = activation(c)
        label = ACTIVATION_SYMBOLS[act] if act is not None else _point_label(c)
        detail = c.source.code if c.source else ""
        shape = c.outputs[0].shape if c.outputs else ()
        nodes.append(WireNode(c.id, kinds[c.id], label, names.get(c.id, ""), shape, detail, c.id))
    nodes += [WireNode("out:" + t.path, WireKind.OUTPUT, t.path, shape=t.shape) for t in root.outputs]
    return tuple(nodes)


def _wire_edges(a: _Cell, following: Call | None) -> tuple[WireEdge, ...]:
    root = a.root
    edges = []
    for c in a.members:
        for t in c.inputs:
            src = a.resolve(t)
            if src is not None:
                edges.append(WireEdge(src, c.id, t.shape))
    for t in root.outputs:
        src = a.resolve(t)
        if src is not None:
            edges.append(WireEdge(src, "out:" + t.path, t.shape))
    if following is not None:  # the recurrent edges: which output of step t becomes which input of t+1
        for t in following.inputs:
            for out in root.outputs:
                if t.producer == root.id and t.tid == out.tid:
                    edges.append(WireEdge("out:" + out.path, "in:" + t.path, t.shape, back=True))
    return tuple(dict.fromkeys(edges))


def _is_norm(c: Call) -> bool:
    """A normalisation layer (LayerNorm, BatchNorm1d, GroupNorm, RMSNorm): it rescales, it does not mix."""
    return c.kind == CallKind.MODULE and re.fullmatch(r"\w*Norm(\dd)?", c.type) is not None


def _through_norms(a: _Cell, c: Call) -> list[str]:
    """The sources of `c`, looking through normalisation layers (`tanh(c_norm(c))` reads c)."""
    found: list[str] = []
    for src in a.sources(c):
        call = a.trace.call(src) if is_call_id(src) else None
        found += _through_norms(a, call) if call is not None and _is_norm(call) else [src]
    return found


def _feeding_weights(a: _Cell, c: Call) -> tuple[str, ...]:
    """Linear layers upstream of an activation (through chunk/add/cat and norms), with weight shapes."""
    out: list[str] = []
    todo, seen = list(a.sources(c)), set()
    while todo:
        src = todo.pop(0)
        if src in seen or not is_call_id(src):
            continue
        seen.add(src)
        call = a.trace.call(src)
        if activation(call) is not None:
            continue  # what feeds another activation (a Mogrifier round's Q) feeds that one
        if call.kind == CallKind.MODULE:
            w = ", ".join(f"{p.name} {shape_text(p.shape)}" for p in call.param_list)
            out.append(f"{call.name}: {w}" if w else call.name)
            if _is_norm(call):
                todo.extend(a.sources(call))
        else:
            todo.extend(a.sources(call))
    return tuple(out)


def _cell_state(a: _Cell, names: dict[str, str]) -> str | None:
    """Name the `c = f⊙c + i⊙g` update: an add of two products, one of them scaling a cell input."""
    found = None
    for c in a.members:
        if op_stem(c.name) not in ADD_OPS:
            continue
        srcs = a.sources(c)
        muls = [a.trace.call(s) for s in srcs if is_call_id(s) and op_stem(a.trace.call(s).name) in MUL_OPS]
        if len(muls) == 2 and any(any(s.startswith("in:") for s in a.sources(m)) for m in muls):
            targets = assigned_names(c.source.code) if c.source else []
            names[c.id] = f"{targets[0] if targets else 'state'} (state update)"
            found = c.id
    return found


def _mogrifier_rounds(a: _Cell, names: dict[str, str]) -> int:
    """Count σ gates scaled by a constant that then rescale another tensor: `x = 2·σ(Q h) ⊙ x`."""
    rounds = 0
    for c in a.members:
        product = round_product(c, lambda cid: a.consumers.get(cid, []))
        if product is not None:
            rounds += 1
            targets = assigned_names(product.source.code) if product.source else []
            target = targets[0] if targets else "v"
            names[c.id] = f"round {rounds}"
            names[product.id] = f"round {rounds}: {target} ← 2σ(·)⊙{target}"
    return rounds
