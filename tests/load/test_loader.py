"""Tests of archviz.loader: the model rules, --input specs, example_inputs, file problems and script mode."""

from __future__ import annotations

import os
import re
import sys
import textwrap

import pytest
import torch
from torch import nn

from archviz.capture import ScriptCapture
from archviz.errors import LoadError, LoadUsageError
from archviz.load import loader, userfile


def write(tmp_path, name: str, source: str) -> str:
    """Write `source` (dedented) to tmp_path/name and return the file's path as a string."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return str(path)


HEADER = """
import torch
from torch import nn
"""

# Two no-argument model classes with different layers, plus inputs for both (4 features).
TWO_CLASSES = (
    HEADER
    + """
class Alpha(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


class Beta(nn.Module):
    def __init__(self, width=3):
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(x)


def example_inputs():
    return torch.randn(2, 4)
"""
)


def load_ok(path: str, **kw) -> loader.Loaded:
    found = loader.load(path, **kw)
    assert isinstance(found, loader.Loaded), found
    return found


# ---------------------------------------------------------------------------------------------
# rule 1: --model NAME
# ---------------------------------------------------------------------------------------------


def test_model_name_instance(tmp_path):
    path = write(tmp_path, "inst.py", TWO_CLASSES + "\nnet = Beta(width=7)\n")
    found = load_ok(path, model="net")
    assert found.name == "net"
    assert type(found.model).__name__ == "Beta"
    assert found.model is found.namespace["net"]  # the instance itself, not a new one
    assert found.model.fc.out_features == 7
    assert found.path == os.path.abspath(path)


def test_model_name_no_arg_class(tmp_path):
    path = write(tmp_path, "cls.py", TWO_CLASSES)  # two candidates, --model resolves it
    found = load_ok(path, model="Beta")
    assert found.name == "Beta"
    assert type(found.model).__name__ == "Beta"
    assert found.model.fc.out_features == 3
    assert [tuple(a.shape) for a in found.args] == [(2, 4)]


def test_model_name_zero_arg_function(tmp_path):
    path = write(tmp_path, "fn.py", TWO_CLASSES + "\ndef make_wide():\n    return Beta(width=11)\n")
    found = load_ok(path, model="make_wide")
    assert found.name == "make_wide"
    assert type(found.model).__name__ == "Beta"
    assert found.model.fc.out_features == 11


def test_model_name_missing_lists_classes(tmp_path):
    path = write(tmp_path, "missing.py", TWO_CLASSES)
    with pytest.raises(LoadUsageError) as info:
        loader.load(path, model="Gamma")
    msg = str(info.value)
    assert "'Gamma'" in msg
    assert "Alpha" in msg and "Beta" in msg
    assert info.value.exit_code == 2


def test_model_name_class_needing_args(tmp_path):
    path = write(
        tmp_path,
        "needs.py",
        HEADER
        + """
class Sized(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(x)

example_inputs = torch.randn(2, 4)
""",
    )
    with pytest.raises(LoadUsageError) as info:
        loader.load(path, model="Sized")
    msg = str(info.value)
    assert "constructor arguments" in msg
    assert "Sized" in msg and "needs.py" in msg
    assert info.value.exit_code == 2


def test_type_error_inside_no_arg_init_is_not_blamed_on_constructor_arguments(tmp_path):
    path = write(
        tmp_path,
        "typo.py",
        HEADER
        + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4)  # bug in the user's code: out_features missing

    def forward(self, x):
        return self.fc(x)

example_inputs = torch.randn(2, 4)
""",
    )
    with pytest.raises(LoadError) as info:
        loader.load(path)
    assert not isinstance(info.value, LoadUsageError)
    assert "constructor arguments" not in str(info.value)
    assert "typo.py:7" in str(info.value)  # the line of the failing nn.Linear(4)


# ---------------------------------------------------------------------------------------------
# rule 2: build_model() / module-level model
# ---------------------------------------------------------------------------------------------


def test_build_model_wins_over_classes(tmp_path):
    path = write(
        tmp_path, "builder.py", TWO_CLASSES + "\nmodel = Alpha()\n\ndef build_model():\n    return Beta(width=5)\n"
    )
    found = load_ok(path)
    assert found.name == "build_model"
    assert type(found.model).__name__ == "Beta"
    assert found.model.fc.out_features == 5


def test_module_level_model_instance(tmp_path):
    path = write(tmp_path, "instance.py", TWO_CLASSES + "\nmodel = Beta(width=9)\n")
    found = load_ok(path)
    assert found.name == "model"
    assert found.model is found.namespace["model"]
    assert found.model.fc.out_features == 9


# ---------------------------------------------------------------------------------------------
# rule 3: exactly one no-argument class
# ---------------------------------------------------------------------------------------------


def test_single_no_arg_class_is_used(tmp_path):
    path = write(
        tmp_path,
        "single.py",
        """
        import torch
        from torch import nn
        from torch.nn import Linear, ReLU  # imported classes are not candidates

        class Block(nn.Module):  # needs arguments: not a candidate
            def __init__(self, n):
                super().__init__()
                self.fc = Linear(n, n)

            def forward(self, x):
                return self.fc(x)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.block = Block(4)
                self.act = ReLU()

            def forward(self, x):
                return self.act(self.block(x))

        def example_inputs():
            return torch.randn(6, 4)
        """,
    )
    found = load_ok(path)
    assert found.name == "Net"
    assert type(found.model).__name__ == "Net"
    assert isinstance(found.model.block, nn.Module)
    assert [tuple(a.shape) for a in found.args] == [(6, 4)]


def test_imported_torch_class_alone_is_not_a_model(tmp_path):
    path = write(tmp_path, "imported.py", "from torch.nn import Linear, ReLU\nimport torch\n")
    found = loader.load(path)
    assert isinstance(found, loader.NoModel)


def test_two_no_arg_classes_is_ambiguous(tmp_path):
    path = write(tmp_path, "two.py", TWO_CLASSES)
    with pytest.raises(LoadUsageError) as info:
        loader.load(path)
    msg = str(info.value)
    assert "Alpha" in msg and "Beta" in msg
    assert "--model" in msg
    assert info.value.exit_code == 2


def test_no_model_returns_no_model_listing_what_was_found(tmp_path):
    path = write(
        tmp_path,
        "nothing.py",
        HEADER
        + """
class Sized(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(4, width)

def helper():
    return 1

layer = nn.Linear(2, 2)
""",
    )
    found = loader.load(path)
    assert isinstance(found, loader.NoModel)
    assert isinstance(found.error, LoadUsageError)
    msg = str(found.error)
    assert "nothing.py" in msg and "no model found" in msg
    assert "Sized (needs arguments)" in msg
    assert "helper" in msg
    assert "layer" in msg


def test_no_model_in_empty_file_says_so(tmp_path):
    path = write(tmp_path, "empty.py", "x = 1\n")
    found = loader.load(path)
    assert isinstance(found, loader.NoModel)
    assert "no nn.Module classes, instances or functions" in str(found.error)


# ---------------------------------------------------------------------------------------------
# inputs: --input specs and example_inputs
# ---------------------------------------------------------------------------------------------

SIMPLE = (
    HEADER
    + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 2)

    def forward(self, *args, **kwargs):
        return self.fc(args[0] if args else next(iter(kwargs.values())))
"""
)


@pytest.fixture
def simple(tmp_path):
    return write(tmp_path, "simple.py", SIMPLE)


def test_input_spec_float_shape(simple):
    found = load_ok(simple, inputs=("3x5x10",))
    assert found.kwargs == {}
    assert len(found.args) == 1
    (x,) = found.args
    assert x.shape == (3, 5, 10)
    assert x.dtype == torch.float32


def test_input_spec_long_within_vocab(simple):
    found = load_ok(simple, inputs=("long:8x20",), vocab=7)
    (x,) = found.args
    assert x.shape == (8, 20)
    assert x.dtype == torch.int64
    assert int(x.min()) >= 0 and int(x.max()) < 7
    assert len(x.unique()) > 1  # random, not constant


def test_input_spec_float64(simple):
    (x,) = load_ok(simple, inputs=("float64:2x3",)).args
    assert x.shape == (2, 3)
    assert x.dtype == torch.float64


def test_input_spec_bool(simple):
    (x,) = load_ok(simple, inputs=("bool:4",)).args
    assert x.shape == (4,)
    assert x.dtype == torch.bool


def test_several_specs_give_several_args(simple):
    found = load_ok(simple, inputs=("2x10", "long:2"))
    assert [(tuple(a.shape), a.dtype) for a in found.args] == [((2, 10), torch.float32), ((2,), torch.int64)]


def test_input_spec_is_seeded(simple):
    first = load_ok(simple, inputs=("3x5x10", "long:8x20")).args
    torch.manual_seed(1234)  # the global seed must not matter
    torch.randn(7)
    second = load_ok(simple, inputs=("3x5x10", "long:8x20")).args
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize("spec", ["3x", "abc", "foo:3x4", "3,4"])
def test_malformed_input_spec(simple, spec):
    with pytest.raises(LoadUsageError) as info:
        loader.load(simple, inputs=(spec,))
    msg = str(info.value)
    assert spec in msg
    assert "spec" in msg
    assert info.value.exit_code == 2


INPUT_MODEL = (
    HEADER
    + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x, y=None):
        return self.fc(x)
"""
)


def test_example_inputs_function_returning_tensor(tmp_path):
    path = write(tmp_path, "ex_tensor.py", INPUT_MODEL + "\ndef example_inputs():\n    return torch.ones(3, 4)\n")
    found = load_ok(path)
    assert found.kwargs == {}
    assert len(found.args) == 1 and torch.equal(found.args[0], torch.ones(3, 4))


def test_example_inputs_function_returning_tuple(tmp_path):
    path = write(
        tmp_path,
        "ex_tuple.py",
        INPUT_MODEL + "\ndef example_inputs():\n    return torch.ones(3, 4), torch.zeros(3, dtype=torch.long)\n",
    )
    found = load_ok(path)
    assert [(tuple(a.shape), a.dtype) for a in found.args] == [((3, 4), torch.float32), ((3,), torch.int64)]
    assert found.kwargs == {}


def test_example_inputs_function_returning_dict(tmp_path):
    path = write(
        tmp_path,
        "ex_dict.py",
        INPUT_MODEL + "\ndef example_inputs():\n    return {'x': torch.ones(5, 4), 'y': torch.zeros(1)}\n",
    )
    found = load_ok(path)
    assert found.args == ()
    assert sorted(found.kwargs) == ["x", "y"]
    assert found.kwargs["x"].shape == (5, 4)


def test_example_inputs_plain_value(tmp_path):
    path = write(tmp_path, "ex_value.py", INPUT_MODEL + "\nexample_inputs = [torch.full((2, 4), 3.0)]\n")
    found = load_ok(path)
    assert isinstance(found.args, tuple) and len(found.args) == 1
    assert torch.equal(found.args[0], torch.full((2, 4), 3.0))


def test_input_specs_win_over_example_inputs(tmp_path):
    path = write(tmp_path, "ex_both.py", INPUT_MODEL + "\nexample_inputs = torch.ones(2, 4)\n")
    (x,) = load_ok(path, inputs=("7x4",)).args
    assert x.shape == (7, 4)


def test_example_inputs_wrong_type(tmp_path):
    path = write(tmp_path, "ex_int.py", INPUT_MODEL + "\nexample_inputs = 3\n")
    with pytest.raises(LoadUsageError) as info:
        loader.load(path)
    msg = str(info.value)
    assert "example_inputs" in msg and "int" in msg
    assert info.value.exit_code == 2


def test_example_inputs_raising(tmp_path):
    path = write(
        tmp_path, "ex_raise.py", INPUT_MODEL + "\ndef example_inputs():\n    raise ValueError('no data here')\n"
    )
    with pytest.raises(LoadError) as info:
        loader.load(path)
    assert not isinstance(info.value, LoadUsageError)
    assert "no data here" in str(info.value)
    assert re.search(r"ex_raise\.py:\d+", str(info.value))


def test_no_inputs_at_all(tmp_path):
    path = write(tmp_path, "no_inputs.py", INPUT_MODEL)
    with pytest.raises(LoadUsageError) as info:
        loader.load(path)
    msg = str(info.value)
    assert "--input" in msg and "example_inputs" in msg
    assert info.value.exit_code == 2


# ---------------------------------------------------------------------------------------------
# file problems
# ---------------------------------------------------------------------------------------------


def test_check_path_returns_absolute_path(tmp_path, monkeypatch):
    write(tmp_path, "fine.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    assert userfile.check_path("fine.py") == str(tmp_path / "fine.py")


@pytest.mark.parametrize("func", [userfile.check_path, loader.load])
def test_missing_file(tmp_path, func):
    path = str(tmp_path / "absent.py")
    with pytest.raises(LoadUsageError) as info:
        func(path)
    assert "absent.py" in str(info.value) and "no such file" in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("func", [userfile.check_path, loader.load])
def test_directory(tmp_path, func):
    folder = tmp_path / "models"
    folder.mkdir()
    with pytest.raises(LoadUsageError) as info:
        func(str(folder))
    assert "directory" in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("func", [userfile.check_path, loader.load])
def test_not_a_python_file(tmp_path, func):
    path = write(tmp_path, "model.txt", "import torch\n")
    with pytest.raises(LoadUsageError) as info:
        func(path)
    assert "model.txt" in str(info.value) and ".py" in str(info.value)
    assert info.value.exit_code == 2


def test_syntax_error(tmp_path):
    path = write(tmp_path, "broken.py", "import torch\n\ndef build_model(:\n    pass\n")
    with pytest.raises(LoadError) as info:
        loader.load(path)
    assert not isinstance(info.value, LoadUsageError)
    assert info.value.exit_code == 1
    assert re.search(r"broken\.py:3:\d+", str(info.value)), str(info.value)
    assert "syntax error" in str(info.value)


def test_missing_import(tmp_path):
    path = write(tmp_path, "needs_pkg.py", "import torch\nimport nonexistent_pkg_xyz\n")
    with pytest.raises(LoadError) as info:
        loader.load(path)
    assert not isinstance(info.value, LoadUsageError)
    msg = str(info.value)
    assert "nonexistent_pkg_xyz" in msg
    assert "needs_pkg.py:2" in msg


def test_raising_at_import(tmp_path):
    path = write(tmp_path, "boom.py", 'import torch\n\nx = 1\nraise RuntimeError("boom")\n')
    with pytest.raises(LoadError) as info:
        loader.load(path)
    msg = str(info.value)
    assert "boom" in msg and "RuntimeError" in msg
    assert "boom.py:4" in msg


def test_main_block_does_not_run_on_load(tmp_path):
    path = write(
        tmp_path,
        "guarded.py",
        INPUT_MODEL + '\nexample_inputs = torch.ones(1, 4)\n\nif __name__ == "__main__":\n    raise SystemExit(3)\n',
    )
    assert type(load_ok(path).model).__name__ == "Net"


# ---------------------------------------------------------------------------------------------
# sibling imports
# ---------------------------------------------------------------------------------------------


def test_sibling_import_with_user_path(tmp_path, monkeypatch):
    helper = "archviz_test_sibling_helper"  # a unique name: sys.modules keeps what a test imports
    monkeypatch.delitem(sys.modules, helper, raising=False)
    write(
        tmp_path,
        f"{helper}.py",
        HEADER
        + """
class Block(nn.Module):
    def __init__(self, n=4):
        super().__init__()
        self.fc = nn.Linear(n, n)

    def forward(self, x):
        return self.fc(x)
""",
    )
    path = write(
        tmp_path,
        "uses_helper.py",
        f"""
import torch
from torch import nn
from {helper} import Block


def build_model():
    return nn.Sequential(Block(), nn.ReLU())


example_inputs = torch.ones(2, 4)
""",
    )
    before = list(sys.path)
    with userfile.user_path(path):
        assert sys.path[0] == str(tmp_path)
        found = load_ok(path)
    assert sys.path == before
    assert type(found.model[0]).__name__ == "Block"
    assert found.name == "build_model"
    monkeypatch.delitem(sys.modules, helper, raising=False)


def test_user_path_restores_sys_path_after_error(tmp_path):
    path = write(tmp_path, "err.py", "raise RuntimeError('boom')\n")
    before = list(sys.path)
    with pytest.raises(LoadError), userfile.user_path(path):
        loader.load(path)
    assert sys.path == before


# ---------------------------------------------------------------------------------------------
# script mode
# ---------------------------------------------------------------------------------------------

SCRIPT = """
import torch
from torch import nn

if __name__ == "__main__":
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    with torch.no_grad():
        first = seq(torch.randn(2, 4))
        second = seq(torch.randn(5, 4))
    print("shapes", tuple(first.shape), tuple(second.shape))
"""

NESTED_SCRIPT = """
import torch
from torch import nn

if __name__ == "__main__":
    encoder = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    head = nn.Linear(3, 2)
    with torch.no_grad():
        y = head(encoder(torch.randn(6, 4)))
    print("out", tuple(y.shape))
"""


def capture(path: str, call: int) -> ScriptCapture:
    with ScriptCapture(call=call, source_file=os.path.basename(path), root_dir=os.path.dirname(path)) as cap:
        userfile.run_script(path)
    return cap


def assert_no_hooks(model: nn.Module | None) -> None:
    mod = torch.nn.modules.module
    assert not mod._global_forward_hooks
    assert not mod._global_forward_pre_hooks
    assert model is not None
    for m in model.modules():
        assert not m._forward_hooks, m
        assert not m._forward_pre_hooks, m


def test_script_file_has_no_model(tmp_path):
    path = write(tmp_path, "script.py", SCRIPT)
    assert isinstance(loader.load(path), loader.NoModel)


def test_script_mode_first_call(tmp_path, capsys):
    path = write(tmp_path, "script.py", SCRIPT)
    cap = capture(path, 1)
    assert "shapes (2, 3) (5, 3)" in capsys.readouterr().out  # the script really ran as __main__
    assert cap.trace is not None
    assert cap.trace.model_class == "Sequential"
    assert cap.trace.inputs[0].shape == (2, 4)
    assert cap.trace.outputs[0].shape == (2, 3)
    assert [c.type for c in cap.trace.calls if c.kind == "module"] == ["Sequential", "Linear", "ReLU"]
    assert cap.trace.failure is None
    assert_no_hooks(cap.root)


def test_script_mode_second_call(tmp_path):
    path = write(tmp_path, "script.py", SCRIPT)
    cap = capture(path, 2)
    assert cap.trace is not None
    assert cap.trace.inputs[0].shape == (5, 4)
    assert cap.trace.outputs[0].shape == (5, 3)
    assert cap.seen == 2
    assert_no_hooks(cap.root)


def test_script_mode_nested_calls_are_not_top_level(tmp_path):
    path = write(tmp_path, "nested.py", NESTED_SCRIPT)
    cap = capture(path, 2)  # call 1 is encoder(...) with its Linear and ReLU inside; call 2 is head(...)
    assert cap.trace is not None
    assert cap.trace.model_class == "Linear"
    assert cap.trace.inputs[0].shape == (6, 3)
    assert cap.trace.outputs[0].shape == (6, 2)
    assert_no_hooks(cap.root)


def test_script_mode_call_beyond_last(tmp_path):
    path = write(tmp_path, "nested.py", NESTED_SCRIPT)
    cap = capture(path, 3)
    assert cap.trace is None
    assert cap.seen == 2
    mod = torch.nn.modules.module
    assert not mod._global_forward_hooks and not mod._global_forward_pre_hooks


def test_script_mode_hooks_removed_when_script_raises(tmp_path):
    path = write(
        tmp_path,
        "raises.py",
        """
        import torch
        from torch import nn

        if __name__ == "__main__":
            seq = nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2))
            seq(torch.randn(2, 4))
        """,
    )
    with pytest.raises(LoadError) as info:
        with ScriptCapture(call=1, source_file="raises.py", root_dir=str(tmp_path)) as cap:
            userfile.run_script(path)
    assert not isinstance(info.value, LoadUsageError)
    assert "raises.py:6" in str(info.value) and "mat1 and mat2" in str(info.value)
    assert cap.trace is not None and cap.trace.failure is not None
    assert cap.trace.failure.exc_type == "RuntimeError"
    assert_no_hooks(cap.root)


def test_run_script_exception_is_load_error(tmp_path):
    path = write(tmp_path, "crash.py", 'import torch\n\nif __name__ == "__main__":\n    raise RuntimeError("boom")\n')
    with pytest.raises(LoadError) as info:
        userfile.run_script(path)
    assert "crash.py:4" in str(info.value) and "boom" in str(info.value)


def test_run_script_nonzero_exit_is_load_error(tmp_path):
    path = write(tmp_path, "exits.py", 'if __name__ == "__main__":\n    raise SystemExit(4)\n')
    with pytest.raises(LoadError) as info:
        userfile.run_script(path)
    assert "sys.exit(4)" in str(info.value)
    userfile.run_script(write(tmp_path, "exits0.py", 'if __name__ == "__main__":\n    raise SystemExit(0)\n'))
