"""Which name the user's code read a tensor through, from the source line of the call that read it.

Calls such as eval-mode `nn.Dropout`, `nn.Identity` or a no-op `.contiguous()` hand back the very
object they were given. Object identity alone cannot then say whether a later reader got the tensor
from that call (`y = fc(x)` after `x = drop(x)`) or from before it (`b = h * 2` after `a = fc2(drop(h))`).
The source can: these helpers find the expression that supplied one argument of a call, and the names
an assignment binds, so the recorder can decide per argument.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

# Op names as the TorchFunctionMode sees them (underscores stripped) -> the Python operator.
# `2 + x` arrives as add(x, 2), so which side args[0] is comes from the source, not the name.
_BINARY = {
    "add": ast.Add, "radd": ast.Add, "sub": ast.Sub, "rsub": ast.Sub, "mul": ast.Mult, "rmul": ast.Mult,
    "matmul": ast.MatMult, "rmatmul": ast.MatMult, "div": ast.Div, "rdiv": ast.Div, "truediv": ast.Div,
    "rtruediv": ast.Div, "floordiv": ast.FloorDiv, "pow": ast.Pow, "rpow": ast.Pow, "mod": ast.Mod,
    "and": ast.BitAnd, "or": ast.BitOr, "xor": ast.BitXor,
}  # fmt: skip
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


@lru_cache(maxsize=8192)
def targets(code: str) -> frozenset[str]:
    """Names (and `self.h`, `h[i]` forms) an assignment line binds; empty for anything else."""
    stmt = _statement(code)
    if isinstance(stmt, ast.Assign):
        return frozenset(n for t in stmt.targets for n in _written(t))
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        return frozenset(_written(stmt.target))
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return frozenset(_written(stmt.target))
    return frozenset()


def _names(expr: ast.AST) -> tuple[frozenset[str], bool]:
    """Every name an expression reads (with `self.h` and `h[i]` forms), and whether it makes a call."""
    found: set[str] = set()
    calls = False
    for node in ast.walk(expr):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            found.add(ast.unparse(node))
        elif isinstance(node, ast.Call):
            calls = True
    return frozenset(found), calls


def _callee_matches(func: ast.AST, callee: str) -> bool:
    text = ast.unparse(func)
    return bool(callee) and (
        text == callee or text.endswith("." + callee) or f".{callee}[" in text or f"{callee}[" in text
    )


def _call_argument(stmt: ast.AST, callee: str, method: bool, index: int, module: bool) -> ast.AST | None:
    calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
    named = [n for n in calls if _callee_matches(n.func, callee)]
    # A module called through a loop variable (`for layer in self.layers: layer(x)`) has no name on
    # the line; a line with a single call leaves no doubt either.
    for node in named[:1] or (calls if module and len(calls) == 1 else []):
        if method and isinstance(node.func, ast.Attribute):
            if index == 0:
                return node.func.value
            index -= 1
        return node.args[index] if index < len(node.args) else None
    return None


def _binary_operand(stmt: ast.AST, op: str, index: int) -> ast.AST | None:
    """The operand of `a <op> b` (or `a <op>= b`) that supplied argument `index` of the op."""
    kind = _BINARY.get(op)
    if kind is None or index > 1:
        return None
    for node in ast.walk(stmt):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, kind):
            return node.target if index == 0 else node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, kind):
            sides = (node.left, node.right)
            constant = [isinstance(s, ast.Constant) for s in sides]
            if index == 0 and any(constant):  # the tensor is whichever side is not a number
                return sides[constant.index(False)] if not all(constant) else None
            reflected = op.startswith("r")
            return sides[index ^ int(reflected)]
    return None


def _subscript_operand(stmt: ast.AST, callee: str, index: int) -> ast.AST | None:
    """`x[i]` reads x (args[0]); `x[i] = v` writes x (args[0]) with v (args[2])."""
    if callee == "__setitem__" and isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
        return stmt.targets[0].value if index == 0 else stmt.value if index == 2 else None
    if index == 0:
        return next((n.value for n in ast.walk(stmt) if isinstance(n, ast.Subscript)), None)
    return None


def _descend(expr: ast.AST, steps: list[tuple[str, str]]) -> ast.AST:
    """Follow `[1]` steps into tuple and list displays; stop at anything else."""
    for kind, key in steps:
        if kind == "index" and isinstance(expr, (ast.Tuple, ast.List)) and int(key) < len(expr.elts):
            expr = expr.elts[int(key)]
        else:
            break
    return expr


def argument(
    code: str, callee: str, path: str, *, method: bool = False, module: bool = False
) -> tuple[frozenset[str], bool] | None:
    """The names read by the expression that supplied argument `path` (`args[1][0]`) to `callee` on
    this source line, and whether that expression is itself a call; None when it cannot be found.

    `callee` is a module's attribute name (`drop`, `cells`; `module` True) or an op name (`cat`,
    `add`); `method` says the op was called as a method, so `args[0]` is the object before the dot.
    """
    stmt = _statement(code)
    head = re.match(r"(args|kwargs)\[(\d+|'[^']*')\]", path)
    if stmt is None or head is None:
        return None
    rest = [("index", m[1]) if m[1] else ("other", "") for m in _STEP.finditer(path[head.end() :])]
    expr: ast.AST | None = None
    if head[1] == "kwargs":
        key = head[2].strip("'")
        expr = next(
            (k.value for n in ast.walk(stmt) if isinstance(n, ast.Call) for k in n.keywords if k.arg == key), None
        )
    else:
        index = int(head[2])
        op = callee.strip("_")
        if not module and op in _BINARY:
            expr = _binary_operand(stmt, op, index)
        if expr is None and not module and callee in ("__getitem__", "__setitem__"):
            expr = _subscript_operand(stmt, callee, index)
        if expr is None:
            expr = _call_argument(stmt, callee, method, index, module)
    return None if expr is None else _names(_descend(expr, rest))
