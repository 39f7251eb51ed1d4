"""Recognise the gates of hand-written recurrent cells in the traced op-level wiring.

A cell is a module called once per step of a loop (or one the user names with `--gates`). Its gates
are the σ/tanh ops inside it, named after the variable the user's source line assigns (`z = …`,
`i = torch.sigmoid(i)`), else by role. Shared Linear layers and Mogrifier rounds are spotted too.
"""

from __future__ import annotations

import ast
import re
from collections import Counter

from ..record import MODULE, OP, Call, Cell, Gate, TensorMeta, Trace, WireEdge, WireNode, shape_text

ACTIVATIONS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "sigmoid_": "sigmoid", "tanh_": "tanh"}
_MUL = {"mul", "__mul__", "__rmul__", "mul_"}
_ADD = {"add", "__add__", "__radd__", "add_"}
_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU"}


def _targets(code: str) -> list[str]:
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

    def __init__(self, trace: Trace, kids: dict[str | None, list[Call]], root: Call) -> None:
        self.trace = trace
        self.root = root
        self.members: list[Call] = []
        todo = list(kids.get(root.id, []))
        while todo:  # visible leaves of the subtree, in execution order
            c = todo.pop(0)
            inner = [k for k in kids.get(c.id, []) if not k.bookkeeping]
            if c.kind == MODULE and inner:
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
        if p == "input" or not p.startswith("call-"):
            return None
        call = self.trace.call(p)
        for own in self.root.inputs:
            if own.tid == t.tid:
                return "in:" + own.path
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


def _arg_label(call: Call, path: str) -> str:
    """`h (args[1])` when the forward's parameter name is known, else the path."""
    m = re.match(r"args\[(\d+)\](.*)", path)
    if m and int(m[1]) < len(call.arg_names):
        return f"{call.arg_names[int(m[1])]}{m[2]} ({path})"
    return path


def _point_label(c: Call) -> str:
    """`⊙`, `+`, `1 −`, `×2` for elementwise ops; the op name otherwise."""
    op = c.name.strip("_")
    scalar = next((a.summary for a in c.args if a.path in ("args[1]", "kwargs['other']")), None)
    if op in {"mul", "rmul"}:
        return f"×{scalar}" if len(c.inputs) == 1 and scalar else "⊙"
    if op in {"add", "radd"}:
        return f"+{scalar}" if len(c.inputs) == 1 and scalar else "+"
    if op == "rsub":
        return f"{scalar} −" if scalar else "−"
    if op == "sub":
        return "−"
    return op


def analyse(trace: Trace, kids: dict[str | None, list[Call]], root: Call, cid: str, steps: int, following: Call | None = None) -> Cell:
    """Describe the wiring of custom cell call `root` (the first step's call; `following` is the second's)."""
    a = _Cell(trace, kids, root)
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    gates: list[Gate] = []
    used: Counter[str] = Counter()
    for c in a.members:
        code = c.source.code if c.source else ""
        op = c.name.strip("_") if c.kind == OP else c.name
        if c.kind == MODULE:
            kinds[c.id] = "linear"
            used[c.name] += 1
        elif op in ACTIVATIONS:
            act = ACTIVATIONS[op]
            targets = _targets(code)
            if len(targets) == 1 and _outermost_is(code, {c.name, op}):
                name = targets[0]
            else:
                name = {"sigmoid": "gate", "tanh": "candidate", "relu": "activation"}[act]
            names[c.id] = name
            kinds[c.id] = "gate"
        elif op in _MUL or op in _ADD or op in {"sub", "rsub"}:
            kinds[c.id] = "pointwise"
        else:
            kinds[c.id] = "op"
    state = _cell_state(a, names)
    rounds = _mogrifier_rounds(a, names)
    for c in a.members:  # tanh applied to the updated state is the output squashing, not a candidate
        if state and names.get(c.id) == "candidate" and state in a.sources(c):
            names[c.id] = f"tanh({names[state].split(' ')[0]})"
    for c in a.members:
        if kinds[c.id] == "gate":
            act = ACTIVATIONS[c.name.strip("_")]
            shape = c.outputs[0].shape if c.outputs else ()
            gates.append(Gate(names[c.id], act, shape, _feeding_weights(a, c), c.source.code if c.source else ""))
    shared = tuple((n, k) for n, k in used.items() if k > 1)
    notes = [f"{n}: called ×{k} in one step, shared weights" for n, k in shared]
    if rounds:
        notes.append(f"Mogrifier: {rounds} rounds before the gates")
    nodes = [WireNode("in:" + t.path, "input", _arg_label(root, t.path), shape=t.shape) for t in root.inputs]
    for c in a.members:
        label = _SYMBOL.get(ACTIVATIONS.get(c.name.strip("_"), ""), "") or _point_label(c)
        detail = c.source.code if c.source else ""
        shape = c.outputs[0].shape if c.outputs else ()
        nodes.append(WireNode(c.id, kinds[c.id], label, names.get(c.id, ""), shape, detail, c.id))
    nodes += [WireNode("out:" + t.path, "output", t.path, shape=t.shape) for t in root.outputs]
    edges = []
    for c in a.members:
        for t in c.inputs:
            src = a.resolve(t)
            if src is not None:
                edges.append(WireEdge(src, c.id, t.shape))
    for t in root.outputs:
        src = a.resolve(TensorMeta(t.path, t.shape, t.dtype, t.device, t.tid, t.producer))
        if src is not None:
            edges.append(WireEdge(src, "out:" + t.path, t.shape))
    if following is not None:  # the recurrent edges: which output of step t becomes which input of t+1
        for t in following.inputs:
            for out in root.outputs:
                if t.producer == root.id and t.tid == out.tid:
                    edges.append(WireEdge("out:" + out.path, "in:" + t.path, t.shape, back=True))
    edges = list(dict.fromkeys(edges))
    return Cell(
        cid, root.id, root.name, "custom", steps=steps, gates=tuple(gates), nodes=tuple(nodes), edges=tuple(edges),
        notes=tuple(notes), shared=shared, rounds=rounds,
    )  # fmt: skip


def _feeding_weights(a: _Cell, c: Call) -> tuple[str, ...]:
    """Linear layers upstream of an activation (through chunk/add/cat), with weight shapes."""
    out: list[str] = []
    todo, seen = list(a.sources(c)), set()
    while todo:
        src = todo.pop(0)
        if src in seen or not src.startswith("call-"):
            continue
        seen.add(src)
        call = a.trace.call(src)
        if call.kind == MODULE:
            w = ", ".join(f"{p.name} {shape_text(p.shape)}" for p in call.param_list)
            out.append(f"{call.name}: {w}" if w else call.name)
        elif call.name.strip("_") not in ACTIVATIONS:
            todo.extend(a.sources(call))
    return tuple(out)


def _cell_state(a: _Cell, names: dict[str, str]) -> str | None:
    """Name the `c = f⊙c + i⊙g` update: an add of two products, one of them scaling a cell input."""
    found = None
    for c in a.members:
        if c.name.strip("_") not in {"add", "radd", "add_"}:
            continue
        srcs = a.sources(c)
        muls = [a.trace.call(s) for s in srcs if s.startswith("call-") and a.trace.call(s).name.strip("_") in {"mul", "rmul", "mul_"}]
        if len(muls) == 2 and any(any(s.startswith("in:") for s in a.sources(m)) for m in muls):
            targets = _targets(c.source.code) if c.source else []
            names[c.id] = f"{targets[0] if targets else 'state'} (state update)"
            found = c.id
    return found


def _mogrifier_rounds(a: _Cell, names: dict[str, str]) -> int:
    """Count σ gates scaled by a constant that then rescale another tensor: `x = 2·σ(Q h) ⊙ x`."""
    rounds = 0
    for c in a.members:
        if ACTIVATIONS.get(c.name.strip("_")) != "sigmoid":
            continue
        scaled = [m for m in a.consumers.get(c.id, []) if m.name.strip("_") in {"mul", "rmul"} and len(m.inputs) == 1]
        if not scaled:
            continue
        for m in a.consumers.get(scaled[0].id, []):
            if m.name.strip("_") in {"mul", "rmul"} and len(m.inputs) == 2:
                rounds += 1
                targets = _targets(m.source.code) if m.source else []
                target = targets[0] if targets else "v"
                names[c.id] = f"round {rounds}"
                names[m.id] = f"round {rounds}: {target} ← 2σ(·)⊙{target}"
                break
    return rounds
