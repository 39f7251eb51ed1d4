"""Hand-backs (eval Dropout, Identity, no-op `.contiguous()`/`.to()`, `F.dropout(training=False)`) are
wired from the exact expression each reader runs: its instruction's position picks one operation of a
line (`x + a + f` holds two adds), the statement around it, and the names that statement binds.

The truth to compare with comes from a plain forward pass of the same model in which every Dropout and
Identity returns a copy: there, object identity alone says who made what each call reads.
"""

from __future__ import annotations

import copy
import dis

import pytest
import torch
import torch.nn.functional as F
from conftest import calls_named, reads
from torch import nn

from archviz import capture
from archviz.capture import aliases

D = 8


class Copy(nn.Module):
    """What an eval Dropout or an Identity would be if it made a new tensor: the witness of the truth."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()


def witnessed(model: nn.Module) -> nn.Module:
    """A copy of `model` whose Dropout and Identity layers return a new tensor, under the same names."""
    twin = copy.deepcopy(model)
    for parent in list(twin.modules()):
        for key, sub in list(parent._modules.items()):
            if isinstance(sub, (nn.Dropout, nn.Identity)):
                parent._modules[key] = Copy()
    return twin


def wiring(model: nn.Module, *args: torch.Tensor) -> list[tuple[str, dict[str, str | None]]]:
    """Every call but the witness's copies, in order, with who made each tensor it read."""
    trace = capture.trace_model(model, args)
    return [(c.name, reads(trace, c)) for c in trace.calls[1:] if c.name != "clone"]


# ---- models in the styles that real code uses -----------------------------------------------------


class ParallelBlock(nn.Module):
    """GPT-J / PaLM style: attention and MLP side by side, summed on one line with the residual."""

    def __init__(self) -> None:
        super().__init__()
        self.ln = nn.LayerNorm(D)
        self.attn = nn.Linear(D, D)
        self.drop = nn.Dropout(0.1)
        self.mlp = nn.Sequential(nn.Linear(D, 2 * D), nn.GELU(), nn.Dropout(0.1), nn.Linear(2 * D, D))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln(x)
        ff = self.mlp(h)
        return x + self.drop(self.attn(h)) + ff


class Residual(nn.Module):
    """A residual stack whose norm and shortcut are switched off by configuration (`nn.Identity`)."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.Identity()
        self.fc = nn.Linear(D, D)
        self.layers = nn.ModuleList(nn.Linear(D, D) for _ in range(2))
        self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.fc(self.norm(x))  # the add reads x as it was: the norm's result goes to fc only
        for layer in self.layers:
            x = x + layer(self.norm(x))
        identity = self.shortcut(x)
        out = self.fc(torch.relu(self.fc(x)))
        return torch.relu(out + identity)


class Siblings(nn.Module):
    """Several hand-backs of one tensor under different names, read on one multi-line expression."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(D, D)
        self.ident = nn.Identity()
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x)
        e = self.ident(h)
        g = F.dropout(h, 0.5, training=False)
        k = h.contiguous()
        a, b = (
            self.drop(h),
            h * 2,
        )
        total = e + g + k * 3 + h
        return total + a + b


class Operators(nn.Module):
    """Comparisons, augmented assignment, method calls, `@`, numbers on the left, a filled list."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(D, D)
        self.fc2 = nn.Linear(D, D)
        self.ident = nn.Identity()
        self.w = nn.Parameter(torch.randn(D, D))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = 0.5
        h = self.fc1(x)
        s = self.ident(h)
        mask = (h > 0) & (0 < s)
        t = self.fc2(x)
        t += s
        t -= h
        y = h.add(s) + s.mul(h)
        wt = self.ident(self.w)
        z = h @ wt + h @ self.w
        u = scale * s + 2 * h
        outs: list[torch.Tensor] = []
        outs.append(self.ident(h))
        v = self.fc2(outs[-1]) + self.fc2(h)
        return torch.where(mask, t + y + z + u, v)


class Loop(nn.Module):
    """A hand-back each step of a loop, its result bound to the name it read."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.Linear(D, D)
        self.drop = nn.Dropout(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.cell(x)
        for _ in range(3):
            h = self.drop(h)
            h = self.cell(h) + h
        return h


class Statements(nn.Module):
    """A hand-back and a reader of the name it rebinds in one statement, in a loop; `:=`; a layer
    fetched by name; a lambda."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(D, D)
        self.ident = nn.Identity()
        self.l0 = nn.Identity()
        self.pick = "l0"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(x)
        for _ in range(2):
            h, b = self.ident(h), self.fc(h)  # fc reads h from before the statement: last step's ident
        w = (q := self.ident(h)) + h + q
        f = (lambda t: self.ident(t))(h) + h
        g = getattr(self, self.pick)(h) + h
        return b + w + f + g


MODELS = [ParallelBlock, Residual, Siblings, Operators, Loop, Statements]


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_call_reads_what_a_plain_forward_pass_with_copies_reads(cls: type[nn.Module]) -> None:
    torch.manual_seed(0)
    model = cls().eval()
    x = torch.randn(2, D)
    got, truth = wiring(model, x), wiring(witnessed(model), x)
    assert [name for name, _ in got] == [name for name, _ in truth]
    assert got == truth
    with torch.no_grad():  # tracing computes what the model computes
        assert torch.allclose(model(x), witnessed(model)(x))


# ---- the same, said explicitly -------------------------------------------------------------------


def traced(cls: type[nn.Module]):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    return capture.trace_model(cls().eval(), (torch.randn(2, D),))


def test_each_add_of_a_chained_sum_reads_its_own_operand() -> None:
    trace = traced(ParallelBlock)
    first, second = calls_named(trace, "add")
    assert reads(trace, first) == {"args[0]": "input", "args[1]": "drop"}  # not attn: drop dangled
    assert reads(trace, second) == {"args[0]": "add", "args[1]": "mlp"}
    assert reads(trace, calls_named(trace, "mlp.3")[0]) == {"args[0]": "mlp.2"}  # inside nn.Sequential


def test_a_residual_reads_the_stream_not_the_identity_norm_of_its_own_statement() -> None:
    trace = traced(Residual)
    adds = calls_named(trace, "add")
    assert reads(trace, adds[0])["args[0]"] == "input"
    assert [reads(trace, a)["args[0]"] for a in adds[1:3]] == ["add", "add"]
    assert [reads(trace, c)["args[0]"] for c in calls_named(trace, "norm")] == ["input", "add", "add"]
    assert reads(trace, adds[3]) == {"args[0]": "fc", "args[1]": "shortcut"}


def test_siblings_are_read_under_their_own_names_across_lines() -> None:
    trace = traced(Siblings)
    adds = calls_named(trace, "add")
    assert reads(trace, adds[0]) == {"args[0]": "ident", "args[1]": "dropout"}
    assert reads(trace, calls_named(trace, "mul")[1]) == {"args[0]": "contiguous"}  # k * 3
    assert reads(trace, adds[2]) == {"args[0]": "add", "args[1]": "fc1"}  # + h
    assert reads(trace, adds[3]) == {"args[0]": "add", "args[1]": "drop"}  # total + a
    assert reads(trace, calls_named(trace, "mul")[0]) == {"args[0]": "fc1"}  # h * 2 beside drop(h)


def test_operators_read_the_operand_their_position_names() -> None:
    trace = traced(Operators)
    assert reads(trace, calls_named(trace, "gt")[0]) == {"args[0]": "fc1"}  # h > 0
    assert reads(trace, calls_named(trace, "gt")[1]) == {"args[0]": "ident"}  # 0 < s runs gt(s, 0)
    assert reads(trace, calls_named(trace, "add_")[0]) == {"args[0]": "fc2", "args[1]": "ident"}  # t += s
    assert reads(trace, calls_named(trace, "sub_")[0]) == {"args[0]": "add_", "args[1]": "fc1"}  # t -= h
    assert reads(trace, calls_named(trace, "add")[0]) == {"args[0]": "fc1", "args[1]": "ident"}  # h.add(s)
    assert reads(trace, calls_named(trace, "mul")[0]) == {"args[0]": "ident", "args[1]": "fc1"}  # s.mul(h)
    first, second = calls_named(trace, "matmul")
    assert reads(trace, first) == {"args[0]": "fc1", "args[1]": "ident"}  # h @ wt
    assert reads(trace, second) == {"args[0]": "fc1", "args[1]": None}  # h @ self.w: the parameter
    scaled, doubled = calls_named(trace, "mul")[1:3]
    assert reads(trace, scaled) == {"args[0]": "ident"}  # scale * s runs mul(s, 0.5)
    assert reads(trace, doubled) == {"args[0]": "fc1"}
    from_list, direct = calls_named(trace, "fc2")[1:]
    assert reads(trace, from_list) == {"args[0]": "ident"}  # outs.append(ident(h)); fc2(outs[-1])
    assert reads(trace, direct) == {"args[0]": "fc1"}


def test_a_loop_reads_each_step_through_that_steps_hand_back() -> None:
    trace = traced(Loop)
    drops, cells = calls_named(trace, "drop"), calls_named(trace, "cell")
    assert [reads(trace, d)["args[0]"] for d in drops] == ["cell", "add", "add"]
    assert all(reads(trace, c) == {"args[0]": "drop"} for c in cells[1:])
    assert all(reads(trace, a) == {"args[0]": "cell", "args[1]": "drop"} for a in calls_named(trace, "add"))


def test_names_a_statement_binds_are_bound_only_once_it_has_run() -> None:
    trace = traced(Statements)
    idents, fcs = calls_named(trace, "ident"), calls_named(trace, "fc")
    assert [reads(trace, c)["args[0]"] for c in fcs] == ["input", "fc", "ident"]
    assert [reads(trace, c)["args[0]"] for c in idents[:2]] == ["fc", "ident"]
    walrus = calls_named(trace, "add")[:2]  # (q := ident(h)) + h + q
    assert [reads(trace, a)["args[1]"] for a in walrus] == ["ident", "ident"]
    assert trace.call(walrus[0].inputs[1].producer) is idents[1]  # h: the loop's last ident
    assert trace.call(walrus[1].inputs[1].producer) is idents[2]  # q: bound as the statement runs


# ---- positions, without a trace ------------------------------------------------------------------


def _chain(x, a, b, lo, hi):  # type: ignore[no-untyped-def]
    y = x + a + b
    ok = lo < x < hi
    y += a @ b
    return y, ok


def _spots(opname: str) -> list[aliases.Spot]:
    code = _chain.__code__
    found = [aliases.spot(code, i.offset) for i in dis.get_instructions(code) if i.opname == opname]
    assert all(found)
    return [s for s in found if s is not None]


def test_positions_tell_apart_the_operations_of_one_statement() -> None:
    adds = _spots("BINARY_OP")
    assert [aliases.operand(s, "add", "args[1]") for s in adds[:2]] == [
        (frozenset({"a"}), False),
        (frozenset({"b"}), False),
    ]
    assert aliases.operand(adds[1], "add", "args[0]") == (frozenset({"x", "a"}), True)  # the first add's value
    matmul, augmented = adds[2:]
    assert aliases.operand(matmul, "matmul", "args[1]") == (frozenset({"b"}), False)  # over two lines
    assert aliases.operand(augmented, "add", "args[0]") == (frozenset({"y"}), False)
    assert augmented.names == frozenset({"y"})
    first, second = _spots("COMPARE_OP")
    assert (first.order, second.order) == (0, 1)
    assert aliases.operand(second, "lt", "args[0]") == (frozenset({"x"}), False)
    assert aliases.operand(second, "gt", "args[0]") == (frozenset({"hi"}), False)  # reflected
    assert aliases.operand(first, "mul", "args[0]") is None  # not the operation at that position
