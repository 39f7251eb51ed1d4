"""The third round of bad input (#23, items 6-18): models that contain themselves, `torch.compile`, a
catch-all `__getattr__`, a lowered recursion limit, deep nesting, options out of range, `x` as an input
name, huge containers, NUL bytes, worker processes and threads, ids beyond an embedding, writes by index,
and a doctor that says it re-runs the model.

Each case runs the real command and checks the exit status, one clear message and what is drawn.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch
from test_robustness import HEADER, check_message, run, svg_text, write
from test_robustness_two import cli
from torch import nn

from archviz.capture.modules import every_module_path, every_parameter_name, tied_parameters

SELF_REF = (
    HEADER
    + """

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.me = self  # a back-reference some code keeps (a parent pointer, a registry)

    def forward(self, x):
        return self.fc(x)


def build_model():
    return Net()


def example_inputs():
    return (torch.randn(2, 4),)
"""
)


def _model(tmp_path: Path, name: str, body: str, inputs: str = "(torch.randn(2, 4),)", head: str = "") -> Path:
    source = (
        HEADER
        + head
        + f"""

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.out = nn.Linear(4, 2)

    def forward(self, x):
{body}


def build_model():
    return Net()


def example_inputs():
    return {inputs}
"""
    )
    return write(tmp_path, name, source)


def _json(folder: Path, stem: str) -> dict:
    return json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))


def test_a_module_that_contains_itself_is_drawn_and_summarised(tmp_path: Path) -> None:
    path = write(tmp_path, "selfref.py", SELF_REF)
    done = run("render", path, "-o", tmp_path / "out", "--format", "svg,json")
    assert done.exit_code == 0, done.output
    assert "fc" in svg_text(tmp_path / "out" / "selfref.svg")
    summary = run("summary", path)
    assert summary.exit_code == 0, summary.output
    assert "Total params: 20" in summary.output


def test_the_walks_stop_at_a_module_that_contains_itself() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.me = self
            self.b = nn.Linear(2, 2)
            self.b_again = self.b  # the same module under two names: both paths, as torch gives them

    net = Net()
    before = list(net._modules)
    assert [p for p, _ in every_module_path(net)] == ["", "a", "b", "b_again"]
    names = [n for n, _ in every_parameter_name(net)]
    assert names == ["a.weight", "a.bias", "b.weight", "b.bias", "b_again.weight", "b_again.bias"]
    assert tied_parameters(net) == {}  # one module under two names is not weight tying
    assert list(net._modules) == before


def test_summary_puts_back_the_links_it_hid(tmp_path: Path) -> None:
    from archviz.app.summary import _cycles_cut

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Linear(2, 2)
            self.me = self
            self.mid = nn.Linear(2, 2)
            self.again = self
            self.last = nn.Linear(2, 2)

    net = Net()
    with _cycles_cut(net):
        assert list(net._modules) == ["first", "mid", "last"]
    assert list(net._modules) == ["first", "me", "mid", "again", "last"]
    assert net.me is net and net.again is net


def test_a_compiled_model_is_drawn_from_the_module_it_compiles(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "compiled.py",
        HEADER
        + """

def build_model():
    return torch.compile(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))


def example_inputs():
    return (torch.randn(3, 4),)
""",
    )
    done = cli("render", path, "-o", tmp_path / "out", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = _json(tmp_path / "out", "compiled")
    assert [c["type"] for c in data["calls"] if c["kind"] == "module"] == ["Sequential", "Linear", "ReLU", "Linear"]
    assert [o["shape"] for o in data["outputs"]] == [[3, 2]]
    assert any("torch.compile" in note for c in data["calls"][:1] for note in c.get("notes", []))


def test_a_catch_all_getattr_does_not_name_the_class(tmp_path: Path) -> None:
    path = _model(
        tmp_path,
        "anyattr.py",
        "        return self.out(self.fc(x))\n\n"
        "    def __getattr__(self, name):\n"
        "        try:\n"
        "            return super().__getattr__(name)\n"
        "        except AttributeError:\n"
        "            return lambda *a, **k: None  # a proxy that answers every name",
    )
    done = run("render", path, "-o", tmp_path / "out", "--format", "json")
    assert done.exit_code == 0, done.output
    assert _json(tmp_path / "out", "anyattr")["calls"][0]["type"] == "Net"


def test_a_forward_that_lowers_the_recursion_limit_still_gets_its_report(tmp_path: Path) -> None:
    path = _model(
        tmp_path,
        "lowlimit.py",
        "        sys.setrecursionlimit(60)\n        return self.out(self.fc(x))",
        head="import sys\n",
    )
    done = cli("render", path, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "lowlimit.html").read_text(encoding="utf-8").count("Linear") >= 2


def test_nesting_that_runs_plain_also_runs_traced(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deep.py",
        HEADER
        + """

class Wrap(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x) + 1


def build_model():
    m = nn.Linear(4, 4)
    for _ in range(200):
        m = Wrap(m)
    return m


def example_inputs():
    return (torch.randn(2, 4),)
""",
    )
    done = cli("render", path, "-o", tmp_path / "out", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = _json(tmp_path / "out", "deep")
    assert data.get("failure") is None
    assert [o["shape"] for o in data["outputs"]] == [[2, 4]]
    assert sum(c["type"] == "Wrap" for c in data["calls"]) == 200


def test_a_vocab_beyond_int64_is_a_usage_error(tmp_path: Path) -> None:
    path = _model(tmp_path, "ids.py", "        return self.out(self.fc(x.float()))")
    check_message(run("render", path, "--input", "long:2x4", "--vocab", "99999999999999999999"), 2, "--vocab")
    done = run("render", path, "-o", tmp_path / "out", "--input", "long:2x4", "--vocab", str(2**63 - 1))
    assert done.exit_code == 0, done.output


def test_dims_naming_no_input_is_a_usage_error_naming_the_inputs(tmp_path: Path) -> None:
    path = _model(tmp_path, "dims.py", "        return self.out(self.fc(x))")
    err = check_message(run("doctor", path, "--dims", "nosuch=B,F"), 2, "'nosuch'", "'x'")
    assert "does not take" in err
    check_message(run("render", path, "-o", tmp_path / "out", "--dims", "nosuch=B"), 2, "'nosuch'")
    assert run("doctor", path, "--dims", "x=B,F").exit_code == 0


def test_summary_takes_an_input_named_x(tmp_path: Path) -> None:
    path = _model(tmp_path, "kw.py", "        return self.out(self.fc(x))", inputs='{"x": torch.randn(2, 4)}')
    done = run("summary", path)
    assert done.exit_code == 0, done.output
    assert "[2, 2]" in done.output and "Total params: 30" in done.output


def test_containers_too_long_to_walk_are_drawn_capped_with_a_note(tmp_path: Path) -> None:
    path = _model(
        tmp_path, "many.py", '        y = self.fc(x)\n        return {f"k{i}": y[0] * i for i in range(5000)}'
    )
    done = run("render", path, "-o", tmp_path / "out", "--format", "json")
    assert done.exit_code == 0, done.output
    data = _json(tmp_path / "out", "many")
    assert len(data["outputs"]) == 64 and data["outputs"][0]["path"] == "output['k0']"
    notes = data["calls"][0].get("notes", [])
    assert any("dict of 5,000" in n and "first 64" in n for n in notes), notes
    inputs = _model(
        tmp_path, "longlist.py", "        return self.out(self.fc(x[0]))", inputs="([torch.randn(2, 4)] * 6000,)"
    )
    done = run("render", inputs, "-o", tmp_path / "out", "--format", "json")
    assert done.exit_code == 0, done.output
    data = _json(tmp_path / "out", "longlist")
    assert len(data["inputs"]) == 64
    assert [o["shape"] for o in data["outputs"]] == [[2, 2]]


def test_a_nul_byte_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.py"
    path.write_bytes(b"import torch\n\nx = 1\x00\n")
    check_message(run("render", path), 1, "nul.py:3:6", "null bytes")


def test_worker_processes_and_threads_leave_no_archviz_noise(tmp_path: Path) -> None:
    pool = _model(
        tmp_path,
        "pool.py",
        '        with multiprocessing.get_context("fork").Pool(2) as p:\n'
        "            s = sum(p.map(abs, range(4)))\n"
        "        return self.out(self.fc(x)) * s",
        head="import multiprocessing\n",
    )
    done = cli("render", pool, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "Terminated" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    thread = _model(
        tmp_path,
        "thread.py",
        "        def work():\n"
        '            raise ValueError("worker failed")\n\n'
        "        t = threading.Thread(target=work)\n"
        "        t.start()\n"
        "        t.join()\n"
        "        return self.out(self.fc(x))",
        head="import threading\n",
    )
    done = cli("doctor", thread)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("Exception in thread") == 1, done.stderr  # the traced pass's own, as plain Python
    assert "the model ran again for" in done.stdout and "experiments" in done.stdout, done.stdout


def test_ids_beyond_the_embedding_are_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ids.py",
        HEADER
        + """

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)

    def forward(self, ids):
        return self.emb(ids)


def build_model():
    return Net()


def example_inputs():
    return (torch.tensor([[1, 5, 99]]),)
""",
    )
    done = run("doctor", path)
    assert done.exit_code == 1
    assert "Embedding 'emb' got ids up to 99; it has 10 rows" in done.output, done.output
    assert "num_embeddings >= 100" in done.output
    assert "features" not in done.output


def test_a_write_by_index_is_drawn_between_its_layers(tmp_path: Path) -> None:
    path = _model(tmp_path, "write.py", "        y = self.fc(x)\n        y[0] = 0\n        return self.out(y)")
    done = run("render", path, "-o", tmp_path / "out", "--format", "json,dot")
    assert done.exit_code == 0, done.output
    calls = _json(tmp_path / "out", "write")["calls"]
    setitem = next(c for c in calls if c["type"] == "Tensor.__setitem__")
    assert not setitem.get("bookkeeping")
    dot = (tmp_path / "out" / "write.dot").read_text(encoding="utf-8")
    ids = {c["type"]: c["id"] for c in calls}
    assert f'"{setitem["id"]}" -> "{calls[-1]["id"]}"' in dot
    assert f'"{next(c["id"] for c in calls if c["type"] == "Linear")}" -> "{setitem["id"]}"' in dot, ids


def test_the_model_is_left_as_it_was_after_summary_of_a_cycle() -> None:
    from archviz.app.summary import _as_input_data

    class Net(nn.Module):
        def forward(self, x, mask=None, **extra):
            return x

    x = torch.randn(1)
    assert _as_input_data(Net(), (), {"x": x}) == {"x": x}
    assert list(_as_input_data(Net(), (x,), {"mask": x, "scale": 2})) == ["x", "mask", "scale"]


def test_many_unit_dimensions_are_grown_one_at_a_time_in_bounded_memory(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "units.py",
        HEADER
        + """

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * self.w + x.sum()


def build_model():
    return Net()
""",
    )
    shape = "x".join(["1"] * 28)  # every dim of size 1: grown all at once it was 3.4 GB
    # A wrapper process of its own, so that its children's peak memory is the doctor's alone.
    wrapper = (
        "import resource, subprocess, sys\n"
        f"done = subprocess.run([sys.executable, '-m', 'archviz', 'doctor', {str(path)!r}, '--input', {shape!r}],"
        " capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(done.stdout)\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=300, check=False)
    first, _, doctor_out = done.stdout.partition("\n")
    code, peak_kb = (int(v) for v in first.split())
    assert code == 0, done.stdout + done.stderr
    assert "the model ran again for 56 experiments" in doctor_out, doctor_out  # each dim alone, twice
    assert peak_kb / 1024 < 1500, peak_kb
