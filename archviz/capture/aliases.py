"""Which name the user's code read a tensor through, from the source of the call that read it.

Calls such as eval-mode `nn.Dropout`, `nn.Identity` or a no-op `.contiguous()` hand back the very
object they were given. Object identity alone cannot then say whether a later reader got the tensor
from that call (`y = fc(x)` after `x = drop(x)`) or from before it (`b = h * 2` after `a = fc2(drop(h))`).
The source can: these helpers find the expression that supplied one argument of a call, and the names
an assignment binds, so the recorder can decide per argument.

The exact expression comes from the instruction the reader's frame is running (`co_positions`, Python
3.11+): `x + a + f` holds two adds, and only the span of the running BINARY_OP says which one this is.
The source line alone is the fallback, for code whose source or positions are unknown.
"""

from __future__ import annotations

import ast
import dis
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType, FrameType

from ..kinds import op_stem
from . import blocks
from .operators import OPERATORS

_FILLS = frozenset({"append", "appendleft", "extend", "insert", "add", "update", "setdefault"})
_HEAD = re.compile(r"(args|kwargs)\[(\d+|'[^']*')\]")
_STEP = re.compile(r"\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]|\.(\w+)")


@lru_cache(maxsize=8192)
def _statement(code: str) -> ast.AST | None:
    """The first statement of a source line (an expression when the line is a bare expression)."""
    text = code.strip()
    for candidate in (text, text.rstrip(":"), text + ")", text + "))"):
        try:
            tree = ast.parse(candidate)
        except SyntaxError:
            continue
        return tree.body[0] if tree.body else None
    return None


def _written(target: ast.AST) -> set[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return {n for elt in target.elts for n in _written(elt)}
    if isinstance(target, ast.Starred):
        return _written(target.value)
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Attribute, ast.Subscript)):
        return {ast.unparse(target)}
    return set()


def _early(stmt: ast.AST | None) -> frozenset[str]:
    """Names a statement binds while it runs: `(q := f(x)) + q`."""
    if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return)):
        return frozenset()  # a compound statement's body is other statements
    return frozenset(n.target.id for n in ast.walk(stmt) if isinstance(n, ast.NamedExpr))


def _bound(stmt: ast.AST | None) -> frozenset[str]:
    """Names (and `self.h`, `h[i]` forms) a statement binds, or the container a bare method call fills
    (`outs.append(...)` fills `outs`); empty for anything else."""
    found = _early(stmt)
    if isinstance(stmt, ast.Assign):
        return found.union(*(_written(t) for t in stmt.targets))
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        return found | _written(stmt.target)
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _FILLS:
        return found | _written(call.func.value)
    return found


@lru_cache(maxsize=8192)
def targets(code: str) -> frozenset[str]:
    """Names an assignment line binds (see `_bound`); empty for anything else."""
    return _bound(_statement(code))


def _names(expr: ast.AST) -> frozenset[str]:
    """Every name an expression reads, with `self.h` and `h[i]` forms."""
    return frozenset(
        n.id if isinstance(n, ast.Name) else ast.unparse(n)
        for n in ast.walk(expr)
        if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript))
    )


def _callee_matches(func: ast.AST, callee: str) -> bool:
    text = ast.unparse(func)
    return bool(callee) and (
        text == callee or text.endswith("." + callee) or f".{callee}[" in text or f"{callee}[" in text
    )


def _descend(expr: ast.AST, rest: str) -> ast.AST:
    """Follow the `[1]` steps of the rest of a path into tuple and list displays; stop at anything else."""
    for m in _STEP.finditer(rest):
        elts = expr.elts if isinstance(expr, (ast.Tuple, ast.List)) and m[1] else []
        if int(m[1] or 0) >= len(elts) or any(isinstance(e, ast.Starred) for e in elts[: int(m[1]) + 1]):
            break  # past a `*xs`, positions no longer match elements
        expr = elts[int(m[1])]
    return expr


# ---- the exact expression, from the position of the running instruction ---------------------------

_COMPARISONS = frozenset(dis.opmap[n] for n in ("COMPARE_OP", "IS_OP", "CONTAINS_OP"))
_COMPUTED = ast.Constant(value=None)  # stands for a value an operation made (`x[i] += v` stores one)
_LIMIT = 1 << 16


@dataclass(frozen=True)
class Spot:
    """The expression a frame's instruction is running, the statement it belongs to, and what that binds."""

    node: ast.AST
    stmt: ast.AST | None
    parent: ast.AST | None
    names: frozenset[str]  # bound once the statement has run
    early: frozenset[str] = frozenset()  # bound as it runs (`:=`)
    order: int = 0  # which comparison of a chain (`a < b < c`) runs


_SPOTS: dict[tuple[CodeType, int], Spot | None] = {}


def spot(code: CodeType, lasti: int) -> Spot | None:
    """The expression the instruction at byte offset `lasti` of `code` runs; None when its source or
    position is unknown. Cached per code object and offset: a trace asks again for every loop step."""
    key = (code, lasti)
    try:
        return _SPOTS[key]
    except KeyError:
        pass
    if len(_SPOTS) >= _LIMIT:
        _SPOTS.clear()
    found = _SPOTS[key] = _locate(code, lasti)
    return found


def _locate(code: CodeType, lasti: int) -> Spot | None:
    unit = lasti // 2
    positions = list(itertools.islice(code.co_positions(), unit + 1))  # one entry per 2-byte code unit
    span = positions[unit] if 0 <= unit < len(positions) else (None,) * 4
    if None in span or span[0] == 0:
        return None
    parsed = blocks.parsed(code)
    nodes = parsed.spans.get(span) if parsed is not None else None
    if parsed is None or not nodes:
        return None
    node = nodes[-1]  # spans nest: the innermost node is the operation (`f(x)` and the statement `f(x)`)
    stmt: ast.AST | None = node
    while stmt is not None and not isinstance(stmt, ast.stmt):
        stmt = parsed.parents.get(stmt)
    order = 0
    if isinstance(node, ast.Compare) and len(node.ops) > 1:  # every comparison of a chain has its span
        co = code.co_code
        order = sum(1 for u in range(unit + 1) if positions[u] == span and co[2 * u] in _COMPARISONS) - 1
    return Spot(node, stmt, parsed.parents.get(node), _bound(stmt), _early(stmt), max(order, 0))


def scalar_in(frame: FrameType) -> Callable[[ast.AST], bool]:
    """A test of whether an operand is a plain number in `frame`: `2 * x` and `scale * x` reach torch as
    mul(x, 2), the tensor first. Only names and `self.attr` are looked up; nothing is evaluated."""

    def scalar(expr: ast.AST) -> bool:
        if isinstance(expr, ast.Constant):
            return not isinstance(expr.value, (str, bytes)) and expr.value is not None
        value: object = None
        if isinstance(expr, ast.Name):
            value = frame.f_locals.get(expr.id, frame.f_globals.get(expr.id))
        elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            owner = frame.f_locals.get(expr.value.id)
            value = getattr(owner, "__dict__", {}).get(expr.attr)
        return isinstance(value, (int, float, complex))

    return scalar


def _sides(spot: Spot, op: str, index: int, scalar: Callable[[ast.AST], bool]) -> ast.AST | None:
    """The operand of a binary operation, augmented assignment or one comparison that is argument `index`."""
    node = spot.node
    kind: ast.AST
    if isinstance(node, ast.BinOp):
        kind, sides = node.op, (node.left, node.right)
    elif isinstance(node, ast.AugAssign):
        kind, sides = node.op, (node.target, node.value)
    elif isinstance(node, ast.Compare) and spot.order < len(node.ops):
        k = spot.order
        kind, sides = node.ops[k], (node.comparators[k - 1] if k else node.left, node.comparators[k])
    else:
        return None
    direct, reflected = OPERATORS.get(type(kind), (frozenset(), frozenset()))
    if op in reflected or (op in direct and scalar(sides[0]) and not scalar(sides[1])):
        sides = (sides[1], sides[0])  # `2 - x` runs rsub(x, 2); `2 * x` runs mul(x, 2)
    elif op not in direct:
        return None
    return sides[index] if index < 2 else None


def _subscript(spot: Spot, op: str, index: int) -> ast.AST | None:
    """`x[i]` reads x and i; `x[i] = v` writes x at i with v (args[2]); `x[i] += v` stores a made value."""
    node, parent = spot.node, spot.parent
    assert isinstance(node, ast.Subscript)
    if op not in ("getitem", "setitem") or index > (2 if op == "setitem" else 1):
        return None
    if index < 2:
        return node.value if index == 0 else node.slice
    if isinstance(parent, ast.AugAssign):
        return _COMPUTED
    if (isinstance(parent, ast.Assign) and node in parent.targets) or isinstance(parent, ast.AnnAssign):
        return parent.value
    return None


def _calls(func: ast.AST, callee: str, module: bool) -> bool:
    # A module called straight from this line is the call running there, named or not (`layer(x)` in
    # `for layer in self.layers`, `getattr(self, name)(x)`); an op must be named (`sum(xs)` runs add).
    return module or _callee_matches(func, callee)


def _called(node: ast.Call, callee: str, method: bool, module: bool, index: int) -> ast.AST | None:
    """Positional argument `index` of the call being made, when it calls `callee`."""
    func = node.func
    if not _calls(func, callee, module):
        return None
    if method and not module and isinstance(func, ast.Attribute):
        if not ast.unparse(func.value).endswith("Tensor"):  # `Tensor.add(x, y)` passes self explicitly
            if index == 0:
                return func.value
            index -= 1
    if any(isinstance(a, ast.Starred) for a in node.args[: index + 1]):
        return None
    return node.args[index] if index < len(node.args) else None


def _computes(expr: ast.AST) -> bool:
    """Whether the value of `expr` is what an operation returned (rather than a binding it reads)."""
    if isinstance(expr, ast.NamedExpr):
        return _computes(expr.value)
    if isinstance(expr, ast.IfExp):
        return _computes(expr.body) or _computes(expr.orelse)
    if isinstance(expr, ast.BoolOp):
        return any(_computes(v) for v in expr.values)
    return expr is _COMPUTED or isinstance(expr, (ast.Call, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Await))


def operand(
    spot: Spot,
    callee: str,
    path: str,
    *,
    method: bool = False,
    module: bool = False,
    scalar: Callable[[ast.AST], bool] = lambda _: False,
    made: ast.AST | None = None,
) -> tuple[frozenset[str], bool] | None:
    """The names read by the expression that supplied argument `path` (`args[1][0]`) to the call running
    at `spot`, and whether that expression's value is what an operation returned (`made`, the expression
    of a hand-back, counts: `x.real` is one); None when the spot is not that call.

    `callee` is a module's attribute name (`drop`, `cells`; `module` True) or an op name (`cat`, `add`);
    `method` says the op was called as a method, so `args[0]` is the object before the dot; `scalar`
    tells plain numbers from tensors.
    """
    head = _HEAD.match(path)
    if head is None:
        return None
    node = spot.node
    expr: ast.AST | None = None
    if head[1] == "kwargs":
        if isinstance(node, ast.Call) and _calls(node.func, callee, module):
            key = head[2].strip("'")
            expr = next((k.value for k in node.keywords if k.arg == key), None)
    else:
        index, op = int(head[2]), op_stem(callee)
        if isinstance(node, ast.Call) or module:
            expr = _called(node, callee, method, module, index) if isinstance(node, ast.Call) else None
        elif isinstance(node, ast.UnaryOp):
            expr = node.operand if index == 0 and op in OPERATORS.get(type(node.op), ((),))[0] else None
        elif isinstance(node, ast.Subscript):
            expr = _subscript(spot, op, index)
        elif isinstance(node, ast.Attribute):  # a property such as `x.T`
            expr = node.value if index == 0 and node.attr == callee else None
        else:
            expr = _sides(spot, op, index, scalar)
    if expr is None:
        return None
    expr = _descend(expr, path[head.end() :])
    return _names(expr), expr is made or _computes(expr)


def _guess(stmt: ast.AST, callee: str, path: str, module: bool) -> ast.AST | None:
    """The operation on a line most likely to be `callee`: the first of its kind (a line, unlike a
    position, cannot tell the two adds of `x + a + f` apart)."""
    nodes = list(ast.walk(stmt))
    if module:  # a module is always called, never an operator or a subscript
        return _guess_call(nodes, callee, path, module)
    op = op_stem(callee)
    operation = _first_operator(nodes, op)
    if operation is not None:
        return operation
    if op in ("getitem", "setitem"):
        return next((n for n in nodes if isinstance(n, ast.Subscript)), None)
    return _guess_call(nodes, callee, path, module)


def _first_operator(nodes: list[ast.AST], op: str) -> ast.AST | None:
    """Return the first operation among `nodes` whose operator torch runs as `op`, either way round."""
    for node in nodes:
        kind = getattr(node, "op", None) or (node.ops[0] if isinstance(node, ast.Compare) else None)
        direct, reflected = OPERATORS.get(type(kind), ((), ()))
        if op in direct or op in reflected:
            return node
    return None


def _guess_call(nodes: list[ast.AST], callee: str, path: str, module: bool) -> ast.Call | None:
    """Return the first call among `nodes` that names `callee` or passes keyword `path`, else a module's
    only call."""
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    named = [n for n in calls if _callee_matches(n.func, callee)] or _passing(calls, path)
    # A module called through a loop variable has no name on the line; a single call leaves no doubt.
    found = named or (calls if module and len(calls) == 1 else [])
    return found[0] if found else None


def _passing(calls: list[ast.Call], path: str) -> list[ast.Call]:
    """Return the calls that pass the keyword argument `path` names (`kwargs['dim']`)."""
    return [n for n in calls if any(f"kwargs['{k.arg}']" == path for k in n.keywords)]


def argument(
    code: str,
    callee: str,
    path: str,
    *,
    method: bool = False,
    module: bool = False,
    scalar: Callable[[ast.AST], bool] = lambda _: False,
) -> tuple[frozenset[str], bool] | None:
    """As `operand`, for the first likely call of `callee` on a source line: when positions are unknown."""
    stmt = _statement(code)
    node = _guess(stmt, callee, path, module) if stmt is not None else None
    if stmt is None or node is None:
        return None
    parent = next((p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p) if c is node), None)
    found = Spot(node, stmt, parent, _bound(stmt))
    return operand(found, callee, path, method=method, module=module, scalar=scalar)
