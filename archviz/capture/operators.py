"""Which torch op names a Python operator runs as: `x + y` runs `add`, `2 - x` runs `rsub` (tensor first).

`aliases` matches a recorded op to the expression in the source that ran it with this table.
"""

from __future__ import annotations

import ast

# Operator -> (op names that read the operands in source order, op names that read them reflected).
# Names arrive with underscores stripped: `__iand__` is `iand`, `add_` (what `x += y` runs) is `add`.
OPERATORS: dict[type, tuple[frozenset[str], frozenset[str]]] = {
    op: (frozenset(direct.split()), frozenset(reflected.split()))
    for op, direct, reflected in (
        (ast.Add, "add iadd", "radd"),
        (ast.Sub, "sub isub subtract", "rsub"),
        (ast.Mult, "mul imul multiply", "rmul"),
        (ast.MatMult, "matmul imatmul", "rmatmul"),
        (ast.Div, "div truediv itruediv true_divide divide", "rdiv rtruediv"),
        (ast.FloorDiv, "floordiv ifloordiv floor_divide", "rfloordiv"),
        (ast.Mod, "mod imod remainder fmod", "rmod"),
        (ast.Pow, "pow ipow", "rpow"),
        (ast.BitAnd, "and iand bitwise_and", "rand"),
        (ast.BitOr, "or ior bitwise_or", "ror"),
        (ast.BitXor, "xor ixor bitwise_xor", "rxor"),
        (ast.LShift, "lshift ilshift", "rlshift"),
        (ast.RShift, "rshift irshift", "rrshift"),
        (ast.Lt, "lt less", "gt greater"),
        (ast.Gt, "gt greater", "lt less"),
        (ast.LtE, "le", "ge"),
        (ast.GtE, "ge", "le"),
        (ast.Eq, "eq", ""),
        (ast.NotEq, "ne", ""),
        (ast.USub, "neg negative", ""),
        (ast.UAdd, "pos positive", ""),
        (ast.Invert, "invert bitwise_not", ""),
    )
}
